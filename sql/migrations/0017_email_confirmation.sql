-- 0017_email_confirmation: an account made by registration confirms its
-- email address before it can log in, so that registration answers the same
-- whether or not an address is already registered (no enumeration). The
-- tokens mailed for a password reset and for a confirmation share one
-- table, told apart by `purpose`.
RENAME TABLE password_resets TO mail_tokens;
ALTER TABLE mail_tokens
  ADD COLUMN purpose ENUM('reset', 'confirm') NOT NULL DEFAULT 'reset'
    AFTER user_id;

-- NULL: confirmed (every account made otherwise than by registration, and
-- those that exist already). A time: the account waits for its owner to
-- confirm the address until then; past it, a new registration may take its
-- name or address (the pending account is deleted).
ALTER TABLE users
  ADD COLUMN confirm_by DATETIME(3) NULL DEFAULT NULL AFTER email,
  ADD KEY users_confirm_by (confirm_by);
