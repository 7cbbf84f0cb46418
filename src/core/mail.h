/* mail: plain-text mail through SMTP with libcurl (the configured smtp_url);
 * without a URL the message is appended to the mail_spool mbox file, and
 * without either it is dropped. A message never reaches the log: mail
 * carries tokens. */
#ifndef ENCORE_MAIL_H
#define ENCORE_MAIL_H

struct cfg;

/* mail_send: one message; headers are built here (Date, Message-ID, UTF-8).
 * `to` must be a validated address without CR/LF. 0 or RC_IO (also when
 * the message was dropped for want of smtp_url and mail_spool). SMTP times
 * out after 15 s. */
int mail_send(const struct cfg *c, const char *to, const char *subject,
              const char *body);

/* mail_format: the whole message as sent: headers (Date from `now`, From,
 * To, Subject RFC 2047-encoded when not plain ASCII, Message-ID, MIME-Version,
 * Content-Type text/plain; charset=UTF-8), a blank line, then the body with
 * CRLF line ends. malloc'd (the caller frees); NULL when `to` or `from` is
 * refused (see mail_send) or out of memory. */
char *mail_format(const char *from, const char *to, const char *subject,
                  const char *body, long long now);

#endif
