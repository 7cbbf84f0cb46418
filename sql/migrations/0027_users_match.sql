-- The admin account search (model/accounts.c, accounts_search) matches a
-- prefix of the username, the email or the display name, then filters by
-- role, status and creation time and sorts by creation time or username.
-- Each key below holds, after its column, everything that search reads,
-- so a prefix's branch is read from its key alone: its matches filtered
-- and the first page of the sort taken there, and only that page read from
-- the rows. With names that share a few stems (thousands of accounts per
-- four-letter prefix), reading every match's row was two thirds of the
-- search's time. users_display (display_name, id) is a prefix of the new
-- display-name key and goes.
ALTER TABLE users
  ADD KEY users_match_username (username, created_at, role, status,
                                suspended_until),
  ADD KEY users_match_email (email, username, created_at, role, status,
                             suspended_until),
  ADD KEY users_match_display_name (display_name, username, created_at, role,
                                    status, suspended_until),
  DROP KEY users_display;
