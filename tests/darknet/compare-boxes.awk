# Compares detections with darknet's: reads the expected lines
# ("TAG class prob x1 y1 x2 y2 objectness", only those whose TAG is `tag`)
# from the first file and ours ("class score x1 y1 x2 y2") from the second,
# and pairs each expected entry with an unused one of ours of the same class
# whose score is within 1e-5 and whose box is within 0.01 px on every side.
# (-v boxtol=X changes 0.01.) Prints "N expected, M ours, K matched, worst score diff S, worst box diff B"
# and exits 1 unless every entry is matched both ways.
function abs(v) { return v < 0 ? -v : v }
FNR == NR { if ($1 == tag) { n++; ec[n] = $2; es[n] = $3; for (k = 1; k <= 4; k++) eb[n, k] = $(k + 3) } next }
{ m++; oc[m] = $1; os[m] = $2; for (k = 1; k <= 4; k++) ob[m, k] = $(k + 2) }
END {
  matched = 0; ws = 0; wb = 0
  for (i = 1; i <= n; i++) {
    for (j = 1; j <= m; j++) {
      if (used[j] || oc[j] != ec[i] || abs(os[j] - es[i]) > 1e-5) continue
      d = 0
      for (k = 1; k <= 4; k++) if (abs(ob[j, k] - eb[i, k]) > d) d = abs(ob[j, k] - eb[i, k])
      if (d > (boxtol ? boxtol : 0.01)) continue
      used[j] = 1; matched++
      if (abs(os[j] - es[i]) > ws) ws = abs(os[j] - es[i])
      if (d > wb) wb = d
      break
    }
  }
  printf "%d expected, %d ours, %d matched, worst score diff %.3g, worst box diff %.3g px\n", n, m, matched, ws, wb
  exit !(matched == n && matched == m)
}
