/* gen_vocab: the generator's fixed vocabularies: the genres, each in a
 * family with a sound (audio features, explicit share, duration); the
 * words that make names, titles and lyrics; labels, countries and
 * listening sources. Their order is part of what a seed makes: a word
 * added or moved changes every world. */
#include <stdint.h>

#include "admin/gen.h"

#define COUNT_OF(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

const struct gen_sound gen_sounds[] = {
    [GEN_ROCK] = {.tempo = 125,
                  .energy = 0.72,
                  .valence = 0.48,
                  .dance = 0.48,
                  .acoustic = 0.15,
                  .instrumental = 0.10,
                  .explicit_p = 0.08,
                  .secs = 235},
    [GEN_POP] = {.tempo = 118,
                 .energy = 0.66,
                 .valence = 0.60,
                 .dance = 0.68,
                 .acoustic = 0.18,
                 .instrumental = 0.03,
                 .explicit_p = 0.12,
                 .secs = 205},
    [GEN_ELECTRONIC] = {.tempo = 126,
                        .energy = 0.75,
                        .valence = 0.42,
                        .dance = 0.70,
                        .acoustic = 0.06,
                        .instrumental = 0.60,
                        .explicit_p = 0.04,
                        .secs = 330},
    [GEN_HIP_HOP] = {.tempo = 92,
                     .energy = 0.68,
                     .valence = 0.50,
                     .dance = 0.78,
                     .acoustic = 0.12,
                     .instrumental = 0.02,
                     .explicit_p = 0.55,
                     .secs = 215},
    [GEN_JAZZ_BLUES] = {.tempo = 110,
                        .energy = 0.38,
                        .valence = 0.52,
                        .dance = 0.52,
                        .acoustic = 0.70,
                        .instrumental = 0.45,
                        .explicit_p = 0.01,
                        .secs = 310},
    [GEN_CLASSICAL] = {.tempo = 96,
                       .energy = 0.20,
                       .valence = 0.30,
                       .dance = 0.28,
                       .acoustic = 0.92,
                       .instrumental = 0.88,
                       .explicit_p = 0.00,
                       .secs = 420},
    [GEN_FOLK_COUNTRY] = {.tempo = 112,
                          .energy = 0.40,
                          .valence = 0.55,
                          .dance = 0.52,
                          .acoustic = 0.75,
                          .instrumental = 0.05,
                          .explicit_p = 0.03,
                          .secs = 225},
    [GEN_METAL] = {.tempo = 140,
                   .energy = 0.92,
                   .valence = 0.28,
                   .dance = 0.38,
                   .acoustic = 0.03,
                   .instrumental = 0.18,
                   .explicit_p = 0.20,
                   .secs = 290},
    [GEN_LATIN_WORLD] = {.tempo = 105,
                         .energy = 0.70,
                         .valence = 0.72,
                         .dance = 0.75,
                         .acoustic = 0.30,
                         .instrumental = 0.08,
                         .explicit_p = 0.10,
                         .secs = 225},
    [GEN_RNB_SOUL] = {.tempo = 100,
                      .energy = 0.58,
                      .valence = 0.62,
                      .dance = 0.70,
                      .acoustic = 0.22,
                      .instrumental = 0.03,
                      .explicit_p = 0.18,
                      .secs = 230},
};

const struct gen_genre gen_genres[] = {
    {.name = "Rock", .family = GEN_ROCK},
    {.name = "Indie Rock", .family = GEN_ROCK},
    {.name = "Alternative Rock", .family = GEN_ROCK},
    {.name = "Punk", .family = GEN_ROCK},
    {.name = "Post-Punk", .family = GEN_ROCK},
    {.name = "Shoegaze", .family = GEN_ROCK},
    {.name = "Garage Rock", .family = GEN_ROCK},
    {.name = "Psychedelic Rock", .family = GEN_ROCK},
    {.name = "Classic Rock", .family = GEN_ROCK},
    {.name = "Grunge", .family = GEN_ROCK},
    {.name = "Pop", .family = GEN_POP},
    {.name = "Synth-pop", .family = GEN_POP},
    {.name = "Indie Pop", .family = GEN_POP},
    {.name = "Dream Pop", .family = GEN_POP},
    {.name = "K-Pop", .family = GEN_POP},
    {.name = "J-Pop", .family = GEN_POP},
    {.name = "Dance Pop", .family = GEN_POP},
    {.name = "Electropop", .family = GEN_POP},
    {.name = "Electronic", .family = GEN_ELECTRONIC},
    {.name = "House", .family = GEN_ELECTRONIC},
    {.name = "Techno", .family = GEN_ELECTRONIC},
    {.name = "Trance", .family = GEN_ELECTRONIC},
    {.name = "Drum and Bass", .family = GEN_ELECTRONIC},
    {.name = "Dubstep", .family = GEN_ELECTRONIC},
    {.name = "Ambient", .family = GEN_ELECTRONIC},
    {.name = "IDM", .family = GEN_ELECTRONIC},
    {.name = "Trip Hop", .family = GEN_ELECTRONIC},
    {.name = "Downtempo", .family = GEN_ELECTRONIC},
    {.name = "Hip Hop", .family = GEN_HIP_HOP},
    {.name = "Rap", .family = GEN_HIP_HOP},
    {.name = "Trap", .family = GEN_HIP_HOP},
    {.name = "Grime", .family = GEN_HIP_HOP},
    {.name = "Boom Bap", .family = GEN_HIP_HOP},
    {.name = "Jazz", .family = GEN_JAZZ_BLUES},
    {.name = "Bebop", .family = GEN_JAZZ_BLUES},
    {.name = "Smooth Jazz", .family = GEN_JAZZ_BLUES},
    {.name = "Blues", .family = GEN_JAZZ_BLUES},
    {.name = "Swing", .family = GEN_JAZZ_BLUES},
    {.name = "Jazz Fusion", .family = GEN_JAZZ_BLUES},
    {.name = "Classical", .family = GEN_CLASSICAL},
    {.name = "Baroque", .family = GEN_CLASSICAL},
    {.name = "Opera", .family = GEN_CLASSICAL},
    {.name = "Contemporary Classical", .family = GEN_CLASSICAL},
    {.name = "Soundtrack", .family = GEN_CLASSICAL},
    {.name = "Folk", .family = GEN_FOLK_COUNTRY},
    {.name = "Country", .family = GEN_FOLK_COUNTRY},
    {.name = "Bluegrass", .family = GEN_FOLK_COUNTRY},
    {.name = "Americana", .family = GEN_FOLK_COUNTRY},
    {.name = "Singer-Songwriter", .family = GEN_FOLK_COUNTRY},
    {.name = "Heavy Metal", .family = GEN_METAL},
    {.name = "Black Metal", .family = GEN_METAL},
    {.name = "Death Metal", .family = GEN_METAL},
    {.name = "Doom Metal", .family = GEN_METAL},
    {.name = "Metalcore", .family = GEN_METAL},
    {.name = "Thrash Metal", .family = GEN_METAL},
    {.name = "Reggaeton", .family = GEN_LATIN_WORLD},
    {.name = "Salsa", .family = GEN_LATIN_WORLD},
    {.name = "Bossa Nova", .family = GEN_LATIN_WORLD},
    {.name = "Reggae", .family = GEN_LATIN_WORLD},
    {.name = "Afrobeat", .family = GEN_LATIN_WORLD},
    {.name = "Flamenco", .family = GEN_LATIN_WORLD},
    {.name = "R&B", .family = GEN_RNB_SOUL},
    {.name = "Soul", .family = GEN_RNB_SOUL},
    {.name = "Funk", .family = GEN_RNB_SOUL},
    {.name = "Disco", .family = GEN_RNB_SOUL},
    {.name = "Gospel", .family = GEN_RNB_SOUL},
};
_Static_assert(COUNT_OF(gen_genres) == GEN_GENRES, "GEN_GENRES counts them");

const char *const gen_album_types[] = {
    [GEN_ALBUM] = "album",
    [GEN_SINGLE] = "single",
    [GEN_EP] = "ep",
    [GEN_COMPILATION] = "compilation",
};

static const char *const adjectives[] = {
    "Silent",  "Golden",  "Electric", "Broken", "Velvet",    "Crimson",
    "Hollow",  "Neon",    "Wild",     "Lonely", "Midnight",  "Burning",
    "Frozen",  "Distant", "Sweet",    "Dark",   "Bright",    "Restless",
    "Endless", "Paper",   "Glass",    "Savage", "Gentle",    "Lost",
    "Secret",  "Blue",    "Scarlet",  "Silver", "Wandering", "Fading",
    "Holy",    "Cosmic",  "Quiet",    "Little", "Northern",  "Southern",
    "Open",    "Hidden",  "Falling",  "Rising"};
const struct gen_words gen_adjectives = {.words = adjectives,
                                         .n = COUNT_OF(adjectives)};

static const char *const nouns[] = {
    "Heart",    "River",    "Machine", "Garden",  "Ocean",    "Fire",
    "Shadow",   "Dream",    "City",    "Mirror",  "Storm",    "Light",
    "Road",     "Echo",     "Wolf",    "Moon",    "Sun",      "Rain",
    "Stone",    "Wire",     "Ghost",   "Letter",  "Window",   "Kingdom",
    "Signal",   "Horizon",  "Island",  "Engine",  "Flower",   "Star",
    "Desert",   "Forest",   "Harbor",  "Tower",   "Voice",    "Season",
    "Summer",   "Winter",   "Night",   "Day",     "Angel",    "Tiger",
    "Crown",    "Diamond",  "Highway", "Thunder", "Velocity", "Memory",
    "Paradise", "Satellite"};
const struct gen_words gen_nouns = {.words = nouns, .n = COUNT_OF(nouns)};

static const char *const verbs[] = {
    "Running",  "Dancing", "Falling",  "Waiting", "Dreaming", "Burning",
    "Drifting", "Calling", "Breaking", "Holding", "Chasing",  "Singing"};
const struct gen_words gen_verbs = {.words = verbs, .n = COUNT_OF(verbs)};

static const char *const firsts[] = {
    "Ava",   "Liam",  "Noah",  "Emma",  "Mia",   "Lucas",  "Chloé",  "José",
    "Zoë",   "André", "Renée", "Søren", "Björn", "Amélie", "Mateo",  "Sofia",
    "Yuki",  "Hana",  "Kwame", "Amara", "Ines",  "Diego",  "Lena",   "Omar",
    "Nina",  "Leo",   "Maya",  "Felix", "Ivy",   "Oscar",  "Aurora", "Elliot",
    "Freya", "Hugo",  "Iris",  "Jonas", "Kira",  "Luca",   "Nora",   "Rafael"};
const struct gen_words gen_first_names = {.words = firsts,
                                          .n = COUNT_OF(firsts)};

static const char *const lasts[] = {
    "Smith",   "García",    "Müller",  "Nakamura", "Okafor",  "Larsen",
    "Dubois",  "Rossi",     "Novak",   "Silva",    "Kim",     "Andersson",
    "O'Brien", "Kowalski",  "Haddad",  "Moreau",   "Fischer", "Tanaka",
    "Mensah",  "Ortiz",     "Berg",    "Costa",    "Hughes",  "Ivanova",
    "Jensen",  "Lindqvist", "Mendes",  "Park",     "Quinn",   "Reyes",
    "Santos",  "Volkov",    "Walsh",   "Young",    "Zimmer",  "Blake",
    "Cruz",    "Doyle",     "Ekström", "Fontaine"};
const struct gen_words gen_last_names = {.words = lasts, .n = COUNT_OF(lasts)};

/* the start of a generated username: ASCII first names */
static const char *const handles[] = {
    "ava",  "liam",  "noah",  "emma",  "mia",   "lucas",  "chloe",  "jose",
    "zoe",  "andre", "renee", "soren", "bjorn", "amelie", "mateo",  "sofia",
    "yuki", "hana",  "kwame", "amara", "ines",  "diego",  "lena",   "omar",
    "nina", "leo",   "maya",  "felix", "ivy",   "oscar",  "aurora", "elliot"};
const struct gen_words gen_handles = {.words = handles, .n = COUNT_OF(handles)};

static const char *const labels[] = {"Northern Lights Records",
                                     "Blue Harbor",
                                     "Static Bloom",
                                     "Night Owl Music",
                                     "Redwood Recordings",
                                     "Paper Moon",
                                     "Glasshouse",
                                     "Kite & Key",
                                     "Low Tide Records",
                                     "Golden Hour",
                                     "Atlas Sound Co.",
                                     "Marble Arch",
                                     "Ferrous",
                                     "Parallel Lines",
                                     "Silver Birch",
                                     "Monochrome",
                                     "Outpost",
                                     "Lighthouse Audio",
                                     "Cinder",
                                     "Deep Field",
                                     "Hollow Tree",
                                     "Juniper",
                                     "Solstice",
                                     "Tidewater",
                                     "Velvet Rope",
                                     "Wavelength",
                                     "Yellow Room",
                                     "Zenith",
                                     "Analog Heart",
                                     "Bright Side"};
const struct gen_words gen_labels = {.words = labels, .n = COUNT_OF(labels)};

/* weighted by repeats */
static const char *const countries[] = {
    "US", "US", "US", "US", "GB", "GB", "GB", "DE", "DE", "FR", "SE", "SE",
    "JP", "JP", "KR", "BR", "BR", "CA", "CA", "AU", "NL", "NO", "ES", "IT",
    "MX", "NG", "JM", "IS", "FI", "IE", "CO", "ZA", "AR", "PL", "BE"};
const struct gen_words gen_countries = {.words = countries,
                                        .n = COUNT_OF(countries)};

/* where a listen came from, weighted by repeats */
static const char *const sources[] = {"app", "app",     "app",
                                      "app", "spotify", "lastfm"};
const struct gen_words gen_sources = {.words = sources, .n = COUNT_OF(sources)};

static const char *const lyric_lines[] = {
    "we were running through the night", "and the city lights were calling",
    "hold me closer than before",        "every road leads back to you",
    "I can hear the thunder rolling",    "don't let the fire fade away",
    "all the stars are falling down",    "we could be the ones who stay",
    "whisper something in the dark",     "there's a river in my heart"};
const struct gen_words gen_lyric_lines = {.words = lyric_lines,
                                          .n = COUNT_OF(lyric_lines)};

const char *gen_pick(struct gen_rng *r, const struct gen_words *list) {
  return list->words[gen_below(r, list->n)];
}
