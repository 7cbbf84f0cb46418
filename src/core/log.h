/* log: JSON-lines logging to one file descriptor (stderr by default). Each line
 * is a JSON object: {"ts":"RFC 3339 UTC with ms","level":...,"msg":...,
 * fields}. */
#ifndef ENCORE_LOG_H
#define ENCORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* log_init: program name (the "prog" field), minimum level, and a path to
 * append to (NULL or "-" for stderr). Returns 0 or RC_IO. Safe to call again
 * (SIGHUP). */
int log_init(const char *prog, enum log_level min, const char *path);
/* log_level_parse: "debug|info|warn|error" -> level; -1 when unknown. */
int log_level_parse(const char *s);
/* log_msg: one line with the message and extra fields given as alternating
 * key / value C strings terminated by NULL, e.g.
 *   log_msg(LOG_ERROR, "db query failed", "err", mysql_error(m), NULL);
 * Values are JSON-escaped. Never fails visibly; writes are atomic per line. */
void log_msg(enum log_level lvl, const char *msg, ...)
    __attribute__((sentinel));
/* One field of log_fields: the string s, or (s NULL) the number num with
 * `decimals` digits after the point, written as a JSON number. */
struct log_field {
  const char *key;
  const char *s;
  double num;
  int decimals;
};
/* log_fields: one line with the message and fields f[0..n), as the batch
 * programs' run summaries write their counts and times. */
void log_fields(enum log_level lvl, const char *msg, const struct log_field *f,
                int n);
/* log_request: the access line written once per API request. */
void log_request(const char *request_id, const char *method, const char *route,
                 int status, long long duration_us, long long user_id,
                 const char *error);

#endif
