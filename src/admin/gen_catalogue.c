/* gen_catalogue: the generated catalogue as planned (gen_plan.c): artists
 * with genres, countries and bios; albums with types, labels and release
 * dates; tracks with 1-3 genres, sometimes a featured artist, durations,
 * explicit flags, ISRCs, audio features drawn around their family's sound
 * and lyrics for some. Popularity is the count of the generated listens
 * (album: its tracks; artist: its primary tracks), so this step comes
 * after the listens.
 *
 * Where a name takes several words, they are drawn last one first, as
 * they always were: C leaves the order of a call's arguments open, and the
 * first worlds were made by a compiler that evaluated the last first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin/gen.h"

/* title: an album or track title. */
static void title(struct gen_rng *r, char *out, size_t n) {
  switch (gen_below(r, 5)) {
  case 0: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *adjective = gen_pick(r, &gen_adjectives);
    snprintf(out, n, "%s %s", adjective, noun);
    break;
  }
  case 1: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *verb = gen_pick(r, &gen_verbs);
    snprintf(out, n, "%s %s", verb, noun);
    break;
  }
  case 2: {
    const char *last = gen_pick(r, &gen_nouns);
    const char *first = gen_pick(r, &gen_nouns);
    snprintf(out, n, "%s of the %s", first, last);
    break;
  }
  case 3:
    snprintf(out, n, "%s", gen_pick(r, &gen_nouns));
    break;
  default: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *second = gen_pick(r, &gen_adjectives);
    const char *first = gen_pick(r, &gen_adjectives);
    snprintf(out, n, "%s %s %s", first, second, noun);
  }
  }
}

/* artist_name: a band or a person. */
static void artist_name(struct gen_rng *r, char *out, size_t n) {
  switch (gen_below(r, 4)) {
  case 0: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *adjective = gen_pick(r, &gen_adjectives);
    snprintf(out, n, "The %s %ss", adjective, noun);
    break;
  }
  case 1: {
    const char *last = gen_pick(r, &gen_last_names);
    const char *first = gen_pick(r, &gen_first_names);
    snprintf(out, n, "%s %s", first, last);
    break;
  }
  case 2: {
    const char *second = gen_pick(r, &gen_nouns);
    const char *first = gen_pick(r, &gen_nouns);
    snprintf(out, n, "%s %s", first, second);
    break;
  }
  default: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *adjective = gen_pick(r, &gen_adjectives);
    snprintf(out, n, "%s %s", adjective, noun);
  }
  }
}

/* The catalogue's files, in the order they are loaded. */
struct catalogue_files {
  struct gen_tsv artists, artist_genres, albums, album_genres, tracks,
      track_artists, track_genres;
};

static void write_artists(struct gen_world *w, struct catalogue_files *f,
                          const unsigned long long *popularity) {
  struct gen_rng *r = &w->r;
  char name[160], bio[400];
  for (long i = 0; i < w->o.artists; i++) {
    artist_name(r, name, sizeof name);
    const char *country = gen_pick(r, &gen_countries);
    const char *genre1 = gen_genres[w->artist_genre1[i]].name;
    bool two = w->artist_genre2[i] != GEN_NO_GENRE;
    gen_tsv_int(&f->artists, w->artist0 + i + 1);
    gen_tsv_str(&f->artists, name);
    if (gen_uniform(r) < 0.5) {
      snprintf(bio, sizeof bio, "%s is a %s act from %s, known for %s%s%s.",
               name, genre1, country, genre1, two ? " with touches of " : "",
               two ? gen_genres[w->artist_genre2[i]].name : "");
      gen_tsv_str(&f->artists, bio);
    } else {
      gen_tsv_null(&f->artists);
    }
    gen_tsv_str(&f->artists, country);
    gen_tsv_int(&f->artists, (long long)popularity[i]);
    gen_tsv_eol(&f->artists);
    gen_tsv_int(&f->artist_genres, w->artist0 + i + 1);
    gen_tsv_int(&f->artist_genres, w->genre_id[w->artist_genre1[i]]);
    gen_tsv_int(&f->artist_genres, 10);
    gen_tsv_eol(&f->artist_genres);
    if (two) {
      gen_tsv_int(&f->artist_genres, w->artist0 + i + 1);
      gen_tsv_int(&f->artist_genres, w->genre_id[w->artist_genre2[i]]);
      gen_tsv_int(&f->artist_genres, 3);
      gen_tsv_eol(&f->artist_genres);
    }
  }
}

/* write_track: track t of album `al`, named tname, released on date. */
static void write_track(struct gen_world *w, struct catalogue_files *f,
                        uint32_t t, long al, const char *tname,
                        const char *date) {
  struct gen_rng *r = &w->r;
  static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  uint32_t ar = w->album_artist[al], first = w->album_first[al];
  const struct gen_sound *sound =
      &gen_sounds[gen_genres[w->track_genre[t]].family];
  long long tid = w->track0 + t + 1;
  char isrc[16], lyrics[400];
  struct gen_tsv *tt = &f->tracks;
  gen_tsv_int(tt, tid);
  gen_tsv_str(tt, tname);
  gen_tsv_int(tt, w->album0 + al + 1);
  gen_tsv_int(tt, 1 + (t - first) / 20);
  gen_tsv_int(tt, 1 + (t - first) % 20);
  gen_tsv_int(tt, w->track_ms[t]);
  gen_tsv_str(tt, date);
  gen_tsv_int(tt, gen_uniform(r) < sound->explicit_p);
  snprintf(isrc, sizeof isrc, "ZZ%c%c%c%02d%05u",
           digits[(t / 100000) / 1296 % 36], digits[(t / 100000) / 36 % 36],
           digits[(t / 100000) % 36], w->album_year[al] % 100, t % 100000);
  gen_tsv_str(tt, isrc);
  double instr = gen_clamp01(sound->instrumental + 0.2 * gen_normal(r));
  if (instr < 0.5 && gen_uniform(r) < 0.1) {
    size_t len = 0;
    for (int line = 0; line < 6; line++)
      len += (size_t)snprintf(lyrics + len, sizeof lyrics - len, "%s%s",
                              line ? "\n" : "", gen_pick(r, &gen_lyric_lines));
    gen_tsv_str(tt, lyrics);
  } else {
    gen_tsv_null(tt);
  }
  if (gen_uniform(r) < 0.05) { /* audio features unknown */
    for (int k = 0; k < 6; k++)
      gen_tsv_null(tt);
  } else {
    double tempo = sound->tempo + 12 * gen_normal(r);
    gen_tsv_num(tt, tempo < 50 ? 50 : tempo, 1);
    gen_tsv_num(tt, gen_clamp01(sound->energy + 0.12 * gen_normal(r)), 3);
    gen_tsv_num(tt, gen_clamp01(sound->valence + 0.18 * gen_normal(r)), 3);
    gen_tsv_num(tt, gen_clamp01(sound->dance + 0.12 * gen_normal(r)), 3);
    gen_tsv_num(tt, gen_clamp01(sound->acoustic + 0.15 * gen_normal(r)), 3);
    gen_tsv_num(tt, instr, 3);
  }
  gen_tsv_int(tt, w->track_plays[t]);
  gen_tsv_eol(tt);

  gen_tsv_int(&f->track_artists, tid);
  gen_tsv_int(&f->track_artists, w->artist0 + ar + 1);
  gen_tsv_str(&f->track_artists, "primary");
  gen_tsv_int(&f->track_artists, 0);
  gen_tsv_eol(&f->track_artists);
  if (w->o.artists > 1 && gen_uniform(r) < 0.08) {
    uint32_t feat = gen_below(r, (uint32_t)w->o.artists);
    if (feat != ar) {
      gen_tsv_int(&f->track_artists, tid);
      gen_tsv_int(&f->track_artists, w->artist0 + feat + 1);
      gen_tsv_str(&f->track_artists, "featured");
      gen_tsv_int(&f->track_artists, 1);
      gen_tsv_eol(&f->track_artists);
    }
  }
  /* 1-3 genres: its own, maybe the artist's other, maybe a relative */
  uint32_t g[3];
  size_t ng = 0;
  g[ng++] = w->track_genre[t];
  if (gen_uniform(r) < 0.4)
    g[ng++] = w->artist_genre2[ar] != GEN_NO_GENRE ? w->artist_genre2[ar]
                                                   : w->artist_genre1[ar];
  if (gen_uniform(r) < 0.2) g[ng++] = gen_related(r, w->track_genre[t]);
  ng = gen_dedup(g, ng);
  for (size_t k = 0; k < ng; k++) {
    gen_tsv_int(&f->track_genres, tid);
    gen_tsv_int(&f->track_genres, w->genre_id[g[k]]);
    gen_tsv_eol(&f->track_genres);
  }
}

/* write_albums: each album, then its tracks; a single is named after its
 * first track. */
static void write_albums(struct gen_world *w, struct catalogue_files *f,
                         const unsigned long long *popularity) {
  struct gen_rng *r = &w->r;
  char name[160], date[16];
  for (long al = 0; al < w->o.albums; al++) {
    uint32_t ar = w->album_artist[al];
    long long album_id = w->album0 + al + 1;
    snprintf(date, sizeof date, "%04d-%02d-%02d", w->album_year[al] % 10000,
             w->album_month[al] % 100, w->album_day[al] % 100);
    uint32_t first = w->album_first[al], end = w->album_first[al + 1];
    if (w->album_type[al] == GEN_SINGLE && first < end)
      name[0] = '\0';
    else
      title(r, name, sizeof name);
    const char *label = gen_pick(r, &gen_labels);
    for (uint32_t t = first; t < end; t++) {
      char tname[160];
      title(r, tname, sizeof tname);
      if (t == first && !name[0]) snprintf(name, sizeof name, "%s", tname);
      write_track(w, f, t, al, tname, date);
    }
    if (!name[0]) title(r, name, sizeof name);
    gen_tsv_int(&f->albums, album_id);
    gen_tsv_str(&f->albums, name);
    gen_tsv_int(&f->albums, w->artist0 + ar + 1);
    gen_tsv_str(&f->albums, gen_album_types[w->album_type[al]]);
    gen_tsv_str(&f->albums, label);
    gen_tsv_str(&f->albums, date);
    gen_tsv_int(&f->albums, (long long)popularity[al]);
    gen_tsv_eol(&f->albums);
    gen_tsv_int(&f->album_genres, album_id);
    gen_tsv_int(&f->album_genres, w->genre_id[w->artist_genre1[ar]]);
    gen_tsv_eol(&f->album_genres);
  }
}

int gen_catalogue(struct gen_world *w) {
  const struct gen_opts *o = &w->o;
  struct catalogue_files f;
  double t0 = gen_now();
  unsigned long long *artist_pop =
      gen_calloc((size_t)o->artists, sizeof *artist_pop);
  unsigned long long *album_pop =
      gen_calloc((size_t)o->albums, sizeof *album_pop);
  for (long t = 0; t < o->tracks; t++) {
    album_pop[w->track_album[t]] += w->track_plays[t];
    artist_pop[w->album_artist[w->track_album[t]]] += w->track_plays[t];
  }
  if (gen_tsv_open(w, &f.artists, "artists") ||
      gen_tsv_open(w, &f.artist_genres, "artist_genres") ||
      gen_tsv_open(w, &f.albums, "albums") ||
      gen_tsv_open(w, &f.album_genres, "album_genres") ||
      gen_tsv_open(w, &f.tracks, "tracks") ||
      gen_tsv_open(w, &f.track_artists, "track_artists") ||
      gen_tsv_open(w, &f.track_genres, "track_genres"))
    return -1;
  write_artists(w, &f, artist_pop);
  write_albums(w, &f, album_pop);
  free(artist_pop);
  free(album_pop);
  if (gen_tsv_close(&f.artists) || gen_tsv_close(&f.artist_genres) ||
      gen_tsv_close(&f.albums) || gen_tsv_close(&f.album_genres) ||
      gen_tsv_close(&f.tracks) || gen_tsv_close(&f.track_artists) ||
      gen_tsv_close(&f.track_genres))
    return -1;
  printf("  write catalogue       %10lld rows %7.2f s\n",
         f.artists.rows + f.artist_genres.rows + f.albums.rows +
             f.album_genres.rows + f.tracks.rows + f.track_artists.rows +
             f.track_genres.rows,
         gen_now() - t0);
  if (gen_tsv_load(w, &f.artists, "artists",
                   "id, name, bio, country, popularity", GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &f.artist_genres, "artist_genres",
                   "artist_id, genre_id, weight", GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &f.albums, "albums",
                   "id, title, artist_id, type, label, release_date, "
                   "popularity",
                   GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &f.album_genres, "album_genres", "album_id, genre_id",
                   GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &f.tracks, "tracks",
                   "id, title, album_id, disc_number, track_number, "
                   "duration_ms, release_date, explicit, isrc, lyrics, tempo, "
                   "energy, valence, danceability, acousticness, "
                   "instrumentalness, popularity",
                   GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &f.track_artists, "track_artists",
                   "track_id, artist_id, role, position", GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &f.track_genres, "track_genres", "track_id, genre_id",
                   GEN_CHECKS_OFF))
    return -1;
  return 0;
}
