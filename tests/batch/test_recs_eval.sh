#!/bin/sh
# test_recs_eval.sh: the offline evaluation of encore-recs at test size
# (`eval --small --cold-start`: one seed, default hyper-parameters, a quarter
# of the users) on the real HetRec data; fails when quality drops below the
# floors measured when it was written, or when the content model scores as
# it did while held-out tags leaked into its features. Skips (77) without
# the data.
set -u
dir=${ENCORE_HETREC_DIR:-}
if [ -z "$dir" ]; then
  for d in "${ENCORE_SRCDIR:-.}/../shared/data/hetrec2011-lastfm-2k" \
           /work/shared/data/hetrec2011-lastfm-2k; do
    if [ -f "$d/user_artists.dat" ]; then dir=$d; break; fi
  done
fi
if [ -z "$dir" ] || [ ! -f "$dir/user_artists.dat" ]; then
  echo "HetRec data not found (set ENCORE_HETREC_DIR): skipped"
  exit 77
fi
bin=${ENCORE_BUILDDIR:-.}/src/batch/recs/encore-recs
out=$(OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$bin" eval --hetrec "$dir" --small --cold-start) || {
  echo "encore-recs eval failed"; exit 1; }
printf '%s\n' "$out"

# ndcg PROTOCOL MODEL: the NDCG@10 mean from the table of that protocol.
ndcg() {
  printf '%s\n' "$out" | awk -v p="$1" -v m="$2" '
    /^Warm protocol/ { cur = "warm" }
    /^Cold-start protocol/ { cur = "cold" }
    cur == p && $0 ~ "^\\| " m " \\|" { split($0, f, "|"); split(f[6], v, " "); print v[1]; exit }'
}
fail=0
# check LABEL VALUE OP BOUND
check() {
  if awk -v a="$2" -v b="$4" -v op="$3" 'BEGIN {
      exit !((op == ">=") ? a >= b : (op == "<") ? a < b : a > b) }'; then
    echo "ok: $1 = $2 $3 $4"
  else
    echo "FAIL: $1 = $2, expected $3 $4"; fail=1
  fi
}
pop=$(ndcg warm pop); knn=$(ndcg warm itemknn); als=$(ndcg warm als)
rp3=$(ndcg warm rp3beta); ease=$(ndcg warm ease); uknn=$(ndcg warm userknn)
cont=$(ndcg warm content); hyb=$(ndcg warm hybrid)
cpop=$(ndcg cold pop); chyb=$(ndcg cold hybrid)
for v in "$pop" "$knn" "$als" "$rp3" "$ease" "$uknn" "$cont" "$hyb" "$cpop" \
    "$chyb"; do
  [ -n "$v" ] || { echo "FAIL: a metric is missing from the output"; exit 1; }
done
# Floors: measured values (small run, seed 1, every feature from the
# training part: pop 0.0782, itemknn 0.2065, als 0.2019, rp3beta 0.2048,
# ease 0.2119, userknn 0.1804, content 0.0752, hybrid 0.2371; cold start
# pop 0.0588, hybrid 0.1043) minus a margin of about 0.015.
check "pop NDCG@10" "$pop" ">=" 0.065
check "itemknn NDCG@10" "$knn" ">=" 0.19
check "als NDCG@10" "$als" ">=" 0.18
check "rp3beta NDCG@10" "$rp3" ">=" 0.19
check "ease NDCG@10" "$ease" ">=" 0.195
check "userknn NDCG@10" "$uknn" ">=" 0.165
check "content NDCG@10" "$cont" ">=" 0.06
check "hybrid NDCG@10" "$hyb" ">=" 0.22
# A ceiling, the leak's sentinel: with the tags of held-out pairs in its
# features the content model reached 0.0942 here.
check "content NDCG@10 (a ceiling)" "$cont" "<" 0.085
best=$(printf '%s\n' "$knn" "$als" "$rp3" "$ease" "$uknn" | sort -g | tail -n 1)
check "hybrid NDCG@10 over the best single model" "$hyb" ">" "$best"
check "cold-start hybrid NDCG@10 over popularity" "$chyb" ">" "$cpop"
check "cold-start hybrid NDCG@10" "$chyb" ">=" 0.09
exit $fail
