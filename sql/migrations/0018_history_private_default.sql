-- 0018_history_private_default: listening history is shown to accepted
-- followers only unless its owner says otherwise (it was public). Owners
-- who never saved their preferences (the row is as registration made it)
-- take the new default too; a choice once saved is kept.
ALTER TABLE user_preferences
  MODIFY history_visibility ENUM('public', 'followers', 'private') NOT NULL
    DEFAULT 'followers';
UPDATE user_preferences p JOIN users u ON u.id = p.user_id
   SET p.history_visibility = 'followers', p.updated_at = p.updated_at
 WHERE p.history_visibility = 'public'
   AND p.updated_at < u.created_at + INTERVAL 2 SECOND;
