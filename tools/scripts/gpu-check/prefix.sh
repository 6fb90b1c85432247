# shellcheck shell=bash
# prefix: the carried Debian packages unpacked into $PREFIX (dpkg -x, or
# deb_extract.py without dpkg), Debian's OpenBLASConfig.cmake (absolute
# /usr paths) pointed at the prefix.

step_prefix() {
  compgen -G "$STASH/debs/*.deb" >/dev/null || die "no packages in .gpu-check/debs: run tools/scripts/gpu-check.sh --prepare first"
  rm -rf "$PREFIX"
  mkdir -p "$PREFIX"
  local f
  for f in "$STASH"/debs/*.deb; do
    if command -v dpkg >/dev/null; then dpkg -x "$f" "$PREFIX" || exit 1
    else python3 -B "$HERE/deb_extract.py" "$f" "$PREFIX" || exit 1
    fi
    echo "unpacked $(basename "$f")"
  done
  local cfg=$PREFIX/usr/lib/$MULTIARCH/openblas-pthread/cmake/openblas/OpenBLASConfig.cmake
  [ -f "$cfg" ] || die "no OpenBLASConfig.cmake in the prefix"
  sed -i "s#/usr/#$PREFIX/usr/#g" "$cfg"
  cat "$cfg"
  # Runtime libraries the binaries will load from the prefix.
  ls -l "$PREFIX/usr/lib/$MULTIARCH/openblas-pthread/libopenblas.so.0" "$PREFIX/usr/lib/$MULTIARCH/libgfortran.so.5" \
        "$PREFIX/usr/lib/$MULTIARCH/libbenchmark.so.1.7.1" "$PREFIX/usr/lib/$MULTIARCH/libgtest.a" || exit 1
  du -sh "$PREFIX"
}
