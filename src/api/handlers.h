/* handlers: every route handler, collected by routes.c. Each takes the
 * request, answers it, and returns the HTTP status. The query parameters a
 * route takes are declared beside its handler (router.h, struct qparam). */
#ifndef ENCORE_HANDLERS_H
#define ENCORE_HANDLERS_H

#include "api/router.h"
#include "core/jx.h"

struct req;

/* Query declarations (each ends with Q_END). */
extern const struct qparam page_query[];       /* limit, cursor (page.c) */
extern const struct qparam page_limit_query[]; /* limit (page.c) */
extern const struct qparam h_catalogue_list_query[]; /* page, genre */
extern const struct qparam h_search_query[];
extern const struct qparam h_listens_history_query[];
extern const struct qparam h_listens_delete_query[];
extern const struct qparam h_likes_list_query[];
extern const struct qparam h_dislikes_list_query[];
extern const struct qparam h_recs_me_query[];
extern const struct qparam h_notifications_query[];
extern const struct qparam h_comments_list_query[];

int h_health_live(struct req *r);
int h_health_ready(struct req *r);

int h_auth_register(struct req *r);
int h_auth_confirm(struct req *r);
int h_auth_login(struct req *r);
int h_auth_token(struct req *r);
int h_auth_refresh(struct req *r);
int h_auth_logout(struct req *r);
int h_auth_logout_all(struct req *r);
int h_auth_password(struct req *r);
int h_auth_forgot(struct req *r);
int h_auth_reset(struct req *r);

int h_me_get(struct req *r);
int h_me_patch(struct req *r);
int h_me_delete(struct req *r);
int h_me_prefs_get(struct req *r);
int h_me_prefs_put(struct req *r);

int h_users_get(struct req *r);

int h_admin_user_role(struct req *r);
int h_admin_users_list(struct req *r);
int h_admin_users_get(struct req *r);
int h_admin_users_suspend(struct req *r);
int h_admin_users_reinstate(struct req *r);
int h_admin_users_reset(struct req *r);
int h_admin_users_delete(struct req *r);
int h_admin_audit_list(struct req *r);
int h_analytics_get(struct req *r);
int h_metrics(struct req *r);
int h_moderation_report_playlist(struct req *r);
int h_moderation_report_user(struct req *r);
int h_moderation_queue(struct req *r);
int h_moderation_act(struct req *r);
extern const struct qparam h_admin_users_query[];
extern const struct qparam h_admin_audit_query[];
extern const struct qparam h_analytics_query[];
/* h_admin_suspend: suspend u (h_admin_users.c), for moderation too. */
struct user;
int h_admin_suspend(struct req *r, const struct user *u, const char *reason,
                    long long until_ms, const char *action);
/* h_moderation_report: record the caller's report of (type, id) from its
 * body, checked against h_moderation_report_fields; hold the object past
 * the threshold, and answer 202. */
int h_moderation_report(struct req *r, json_object *body,
                        const char *type, long long id);
extern const struct jx_field h_moderation_report_fields[];

int h_artists_list(struct req *r);
int h_artists_create(struct req *r);
int h_artists_get(struct req *r);
int h_artists_patch(struct req *r);
int h_artists_delete(struct req *r);
int h_artists_albums(struct req *r);
int h_artists_tracks(struct req *r);
int h_albums_list(struct req *r);
int h_albums_create(struct req *r);
int h_albums_get(struct req *r);
int h_albums_patch(struct req *r);
int h_albums_delete(struct req *r);
int h_albums_tracks(struct req *r);
int h_albums_art_put(struct req *r);
int h_albums_art_delete(struct req *r);
int h_tracks_list(struct req *r);
int h_tracks_create(struct req *r);
int h_tracks_get(struct req *r);
int h_tracks_patch(struct req *r);
int h_tracks_delete(struct req *r);
int h_tracks_lyrics_get(struct req *r);
int h_tracks_lyrics_put(struct req *r);
int h_genres_list(struct req *r);

int h_search(struct req *r);

int h_listens_post(struct req *r);
int h_listens_history(struct req *r);
int h_listens_delete_one(struct req *r);
int h_listens_delete_range(struct req *r);
int h_listens_user_history(struct req *r);
int h_likes_put(struct req *r);
int h_likes_delete(struct req *r);
int h_likes_list(struct req *r);

int h_recs_me(struct req *r);
int h_recs_similar_track(struct req *r);
int h_recs_similar_artist(struct req *r);
int h_dislikes_put(struct req *r);
int h_dislikes_delete(struct req *r);
int h_dislikes_list(struct req *r);

int h_playlists_create(struct req *r);
int h_playlists_get(struct req *r);
int h_playlists_patch(struct req *r);
int h_playlists_delete(struct req *r);
int h_playlists_key_rotate(struct req *r);
int h_playlists_cover_put(struct req *r);
int h_playlists_cover_delete(struct req *r);
int h_playlists_mine(struct req *r);
int h_playlists_of_user(struct req *r);
int h_playlists_tracks(struct req *r);
int h_playlists_tracks_add(struct req *r);
int h_playlists_tracks_remove(struct req *r);
int h_playlists_tracks_move(struct req *r);
int h_playlists_grants(struct req *r);
int h_playlists_grant_put(struct req *r);
int h_playlists_grant_delete(struct req *r);
int h_playlists_link_create(struct req *r);
int h_playlists_links(struct req *r);
int h_playlists_link_revoke(struct req *r);
int h_playlists_shared(struct req *r);
/* Social (h_follows.c, h_feed.c, h_comments.c). */
int h_follows_put(struct req *r);
int h_follows_delete(struct req *r);
int h_follows_remove_follower(struct req *r);
int h_follows_requests(struct req *r);
int h_follows_accept(struct req *r);
int h_follows_decline(struct req *r);
int h_follows_followers(struct req *r);
int h_follows_following(struct req *r);
int h_blocks_list(struct req *r);
int h_blocks_put(struct req *r);
int h_blocks_delete(struct req *r);
int h_mutes_list(struct req *r);
int h_mutes_put(struct req *r);
int h_mutes_delete(struct req *r);
int h_feed_me(struct req *r);
int h_feed_user(struct req *r);
int h_notifications_list(struct req *r);
int h_notifications_read(struct req *r);
int h_notifications_read_all(struct req *r);
int h_push_devices_add(struct req *r);
int h_push_devices_list(struct req *r);
int h_push_devices_delete(struct req *r);
int h_push_devices_kinds(struct req *r);
int h_push_prefs_get(struct req *r);
int h_push_prefs_put(struct req *r);
int h_push_vapid_key(struct req *r);
int h_comments_tracks_list(struct req *r);
int h_comments_tracks_create(struct req *r);
int h_comments_albums_list(struct req *r);
int h_comments_albums_create(struct req *r);
int h_comments_playlists_list(struct req *r);
int h_comments_playlists_create(struct req *r);
int h_comments_get(struct req *r);
int h_comments_edit(struct req *r);
int h_comments_delete(struct req *r);
int h_comments_replies(struct req *r);
int h_comments_reply(struct req *r);
int h_comments_like(struct req *r);
int h_comments_unlike(struct req *r);
int h_comments_report(struct req *r);

/* Insights (h_insights.c). */
extern const struct qparam h_insights_query[];
extern const struct qparam h_insights_year_query[];
int h_insights_me(struct req *r);
int h_insights_user(struct req *r);
int h_insights_year(struct req *r);
int h_insights_card(struct req *r);

/* Trending and charts (h_trends.c). */
extern const struct qparam h_trending_query[];
extern const struct qparam h_charts_query[];
int h_trending(struct req *r);
int h_charts(struct req *r);

/* Listening parties (h_parties.c). */
int h_parties_create(struct req *r);
int h_parties_list(struct req *r);
int h_parties_get(struct req *r);
int h_parties_end(struct req *r);
int h_parties_invite(struct req *r);
int h_parties_remove(struct req *r);
int h_parties_messages(struct req *r);

/* Scrobbling in and out, linked services, imports (h_lastfm.c,
 * h_listenbrainz.c, h_scrobbling.c, h_integrations.c, h_imports.c). */
extern const struct qparam h_lastfm_auth_query[];
extern const struct qparam h_integrations_callback_query[];
extern const struct qparam h_imports_file_query[];
int h_lastfm_get(struct req *r);
int h_lastfm_post(struct req *r);
int h_lastfm_auth_page(struct req *r);
int h_lastfm_auth_decide(struct req *r);
int h_lb_submit(struct req *r);
int h_lb_validate(struct req *r);
int h_lb_listens(struct req *r);
int h_lb_playing_now(struct req *r);
int h_apikeys_list(struct req *r);
int h_apikeys_create(struct req *r);
int h_apikeys_delete(struct req *r);
int h_scrobble_token_get(struct req *r);
int h_scrobble_token_rotate(struct req *r);
int h_scrobble_stats(struct req *r);
int h_integrations_list(struct req *r);
int h_integrations_authorize(struct req *r);
int h_integrations_callback(struct req *r);
int h_integrations_put(struct req *r);
int h_integrations_delete(struct req *r);
int h_spotify_token(struct req *r);
int h_apple_developer_token(struct req *r);
int h_imports_create(struct req *r);
int h_imports_file(struct req *r);
int h_imports_list(struct req *r);
int h_imports_get(struct req *r);
int h_imports_cancel(struct req *r);

#endif
