# shellcheck shell=bash disable=SC2153  # JOBS, STASH: from common.sh
# --prepare (the developer machine, with network): the Debian packages the
# build needs (apt-get download), the weather data (gzip) and the commit into
# .gpu-check/ (git-ignored; it travels with `carry`), and the size of what
# travels against the device tool's 64 MiB.

prepare() {
  command -v apt-get >/dev/null || die "--prepare needs apt-get (a Debian machine)"
  mkdir -p "$STASH/debs" "$STASH/data"
  grep -qx '/.gpu-check/' .gitignore 2>/dev/null || die "/.gpu-check/ must be in .gitignore (it holds data that must not be committed)"
  local t0; t0=$(now)
  echo "== packages (apt-get download into .gpu-check/debs)"
  local missing=() p
  for p in "${DEBS[@]}"; do
    compgen -G "$STASH/debs/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    (cd "$STASH/debs" && apt-get download "${missing[@]}") || die "apt-get download failed (run apt-get update as root?)"
  fi
  for p in "${DEBS[@]}"; do compgen -G "$STASH/debs/${p}_*.deb" >/dev/null || die "missing after download: $p"; done
  # Every dependency must be in the set or in BASE_DEPS.
  local deps unknown="" f d
  for f in "$STASH"/debs/*.deb; do
    deps=$(dpkg-deb -f "$f" Depends 2>/dev/null | tr ',|' '\n' | sed 's/(.*)//; s/:any//; s/ //g' | grep -v '^$' || true)
    for d in $deps; do
      case " ${DEBS[*]} $BASE_DEPS " in *" $d "*) ;; *) unknown="$unknown $(basename "$f"):$d" ;; esac
    done
  done
  [ -z "$unknown" ] || die "dependencies not carried and not in BASE_DEPS:$unknown"
  ls -l "$STASH/debs"

  echo "== weather data"
  local csv=${MDN_WEATHER_CSV:-$ROOT/../shared/data/weather_szeged.csv}
  [ -f "$csv" ] || csv=/work/shared/data/weather_szeged.csv
  if [ -f "$csv" ]; then
    if [ ! -f "$STASH/data/weather_szeged.csv.gz" ] || [ "$csv" -nt "$STASH/data/weather_szeged.csv.gz" ]; then
      gzip -9 -c "$csv" >"$STASH/data/weather_szeged.csv.gz.tmp" && mv "$STASH/data/weather_szeged.csv.gz.tmp" "$STASH/data/weather_szeged.csv.gz"
    fi
    sha256sum "$csv" | cut -d' ' -f1 >"$STASH/data/weather_szeged.csv.sha256"
    ls -l "$STASH/data"
  else
    echo "no weather CSV found (set MDN_WEATHER_CSV): the weather step will be skipped" >&2
  fi

  echo "== commit"
  {
    echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    echo "branch $(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
    echo "subject $(git log -1 --format=%s 2>/dev/null || echo unknown)"
    echo "uncommitted_files $(git status --porcelain 2>/dev/null | grep -vc '^??' || true)"
    echo "diff_sha256 $(git diff HEAD 2>/dev/null | sha256sum | cut -d' ' -f1)"
    echo "prepared $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$STASH/COMMIT"
  cat "$STASH/COMMIT"

  echo "== what travels (64 MiB limit)"
  local tree stash
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s+=$1} END {print s+0}')
  stash=$(du -sb "$STASH" | cut -f1)
  [ -d shared ] && echo "note: shared/ exists in the checkout and travels too ($(du -sh shared | cut -f1))"
  awk -v t="$tree" -v s="$stash" 'BEGIN {
    printf "  working tree (tracked + untracked, not ignored)  %8.2f MiB\n", t / 1048576
    printf "  .gpu-check (carried)                             %8.2f MiB\n", s / 1048576
    printf "  total                                            %8.2f MiB of 64\n", (t + s) / 1048576
    exit ((t + s) > 60 * 1048576) }' || die "what travels is over 60 MiB"
  echo "prepared in $(seconds_since "$t0") s"
  echo "next: tools/scripts/gpu-check.sh --dry-run; then the device call, the full check:"
  echo '  run(command="tools/scripts/gpu-check.sh", carry=[".gpu-check"], timeout_s=600)'
  echo 'or, for a short call (about 4 minutes on 16 cores: GPU targets, GPU tests, headline CUDA rows, weather):'
  echo '  run(command="tools/scripts/gpu-check.sh --quick", carry=[".gpu-check"], timeout_s=300)'
}
