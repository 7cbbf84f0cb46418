/* routes: the one route table. Flags are enforced by the router before the
 * handler runs; docs/openapi.yaml must list exactly these routes (a test
 * compares the two). */
#include "api/handlers.h"
#include "api/router.h"

const struct route routes[] = {
    {"GET", "/healthz", h_health_live, R_NOLOG},
    {"GET", "/readyz", h_health_ready, R_NOLOG},

    {"POST", "/api/v1/auth/register", h_auth_register, 0},
    {"POST", "/api/v1/auth/confirm", h_auth_confirm, 0},
    {"POST", "/api/v1/auth/login", h_auth_login, 0},
    {"POST", "/api/v1/auth/token", h_auth_token, 0},
    {"POST", "/api/v1/auth/refresh", h_auth_refresh, 0},
    {"POST", "/api/v1/auth/logout", h_auth_logout, R_AUTH},
    {"POST", "/api/v1/auth/logout-all", h_auth_logout_all, R_AUTH},
    {"POST", "/api/v1/auth/password", h_auth_password, R_AUTH},
    {"POST", "/api/v1/auth/forgot", h_auth_forgot, 0},
    {"POST", "/api/v1/auth/reset", h_auth_reset, 0},

    {"GET", "/api/v1/me", h_me_get, R_AUTH},
    {"PATCH", "/api/v1/me", h_me_patch, R_AUTH},
    {"DELETE", "/api/v1/me", h_me_delete, R_AUTH},
    {"GET", "/api/v1/me/preferences", h_me_prefs_get, R_AUTH},
    {"PUT", "/api/v1/me/preferences", h_me_prefs_put, R_AUTH},

    {"GET", "/api/v1/users/{username}", h_users_get, 0},

    {"PUT", "/api/v1/admin/users/{username}/role", h_admin_user_role, R_ADMIN},

    /* The catalogue: public reads, editor writes. */
    {"GET", "/api/v1/artists", h_artists_list, 0},
    {"POST", "/api/v1/artists", h_artists_create, R_AUTH | R_EDITOR},
    {"GET", "/api/v1/artists/{id}", h_artists_get, 0},
    {"PATCH", "/api/v1/artists/{id}", h_artists_patch, R_AUTH | R_EDITOR},
    {"DELETE", "/api/v1/artists/{id}", h_artists_delete, R_AUTH | R_EDITOR},
    {"GET", "/api/v1/artists/{id}/albums", h_artists_albums, 0},
    {"GET", "/api/v1/artists/{id}/tracks", h_artists_tracks, 0},
    {"GET", "/api/v1/albums", h_albums_list, 0},
    {"POST", "/api/v1/albums", h_albums_create, R_AUTH | R_EDITOR},
    {"GET", "/api/v1/albums/{id}", h_albums_get, 0},
    {"PATCH", "/api/v1/albums/{id}", h_albums_patch, R_AUTH | R_EDITOR},
    {"DELETE", "/api/v1/albums/{id}", h_albums_delete, R_AUTH | R_EDITOR},
    {"GET", "/api/v1/albums/{id}/tracks", h_albums_tracks, 0},
    {"PUT", "/api/v1/albums/{id}/art", h_albums_art_put, R_AUTH | R_EDITOR},
    {"DELETE", "/api/v1/albums/{id}/art", h_albums_art_delete,
     R_AUTH | R_EDITOR},
    {"GET", "/api/v1/tracks", h_tracks_list, 0},
    {"POST", "/api/v1/tracks", h_tracks_create, R_AUTH | R_EDITOR},
    {"GET", "/api/v1/tracks/{id}", h_tracks_get, 0},
    {"PATCH", "/api/v1/tracks/{id}", h_tracks_patch, R_AUTH | R_EDITOR},
    {"DELETE", "/api/v1/tracks/{id}", h_tracks_delete, R_AUTH | R_EDITOR},
    {"GET", "/api/v1/tracks/{id}/lyrics", h_tracks_lyrics_get, 0},
    {"PUT", "/api/v1/tracks/{id}/lyrics", h_tracks_lyrics_put,
     R_AUTH | R_EDITOR},
    {"GET", "/api/v1/genres", h_genres_list, 0},

    {"GET", "/api/v1/search", h_search, R_OPTAUTH},

    {"POST", "/api/v1/me/listens", h_listens_post, R_AUTH},
    {"GET", "/api/v1/me/history", h_listens_history, R_AUTH},
    {"DELETE", "/api/v1/me/history", h_listens_delete_range, R_AUTH},
    {"DELETE", "/api/v1/me/history/{listen_id}", h_listens_delete_one, R_AUTH},
    {"GET", "/api/v1/users/{username}/history", h_listens_user_history,
     R_OPTAUTH},
    {"GET", "/api/v1/me/likes", h_likes_list, R_AUTH},
    {"PUT", "/api/v1/me/likes/{type}/{id}", h_likes_put, R_AUTH},
    {"DELETE", "/api/v1/me/likes/{type}/{id}", h_likes_delete, R_AUTH},
    {"GET", "/api/v1/me/dislikes", h_dislikes_list, R_AUTH},
    {"PUT", "/api/v1/me/dislikes/{type}/{id}", h_dislikes_put, R_AUTH},
    {"DELETE", "/api/v1/me/dislikes/{type}/{id}", h_dislikes_delete, R_AUTH},

    /* Playlists and sharing: visibility is checked in SQL by the model. */
    {"POST", "/api/v1/playlists", h_playlists_create, R_AUTH},
    {"GET", "/api/v1/playlists/{id}", h_playlists_get, R_OPTAUTH},
    {"PATCH", "/api/v1/playlists/{id}", h_playlists_patch, R_AUTH},
    {"DELETE", "/api/v1/playlists/{id}", h_playlists_delete, R_AUTH},
    {"POST", "/api/v1/playlists/{id}/unlisted-key", h_playlists_key_rotate,
     R_AUTH},
    {"PUT", "/api/v1/playlists/{id}/cover", h_playlists_cover_put, R_AUTH},
    {"DELETE", "/api/v1/playlists/{id}/cover", h_playlists_cover_delete,
     R_AUTH},
    {"GET", "/api/v1/me/playlists", h_playlists_mine, R_AUTH},
    {"GET", "/api/v1/users/{username}/playlists", h_playlists_of_user,
     R_OPTAUTH},
    {"GET", "/api/v1/playlists/{id}/tracks", h_playlists_tracks, R_OPTAUTH},
    {"POST", "/api/v1/playlists/{id}/tracks", h_playlists_tracks_add, R_AUTH},
    {"DELETE", "/api/v1/playlists/{id}/tracks", h_playlists_tracks_remove,
     R_AUTH},
    {"POST", "/api/v1/playlists/{id}/tracks/move", h_playlists_tracks_move,
     R_AUTH},
    {"GET", "/api/v1/playlists/{id}/grants", h_playlists_grants, R_AUTH},
    {"PUT", "/api/v1/playlists/{id}/grants/{username}", h_playlists_grant_put,
     R_AUTH},
    {"DELETE", "/api/v1/playlists/{id}/grants/{username}",
     h_playlists_grant_delete, R_AUTH},
    {"POST", "/api/v1/playlists/{id}/links", h_playlists_link_create, R_AUTH},
    {"GET", "/api/v1/playlists/{id}/links", h_playlists_links, R_AUTH},
    {"DELETE", "/api/v1/playlists/{id}/links/{link_id}",
     h_playlists_link_revoke, R_AUTH},
    {"GET", "/api/v1/shared/{token}", h_playlists_shared, 0},

    /* Recommendations, served from the batch's model versions. */
    {"GET", "/api/v1/me/recommendations", h_recs_me, R_AUTH},
    {"GET", "/api/v1/tracks/{id}/similar", h_recs_similar_track, 0},
    {"GET", "/api/v1/artists/{id}/similar", h_recs_similar_artist, 0},
};

const int routes_count = (int)(sizeof routes / sizeof routes[0]);
