#!/usr/bin/env bash
# Fetches the face data the detector is trained and evaluated on, using only
# Debian's archive through apt (docs/data.md, docs/detection.md):
#   faces/dlib/         dlib's examples/faces: 9 real photos + training.xml /
#                       testing.xml (imglab, hand-drawn boxes), from libdlib19.1
#   faces/vec/          trainingfaces_24-24.vec: 16,520 grey 24x24 face crops,
#                       from the opencv SOURCE package
#   faces/backgrounds/  face-free photos from darknet, dde-account-faces and
#                       python3-skimage
# No host is hard-coded: the deb-src entry is derived from the machine's own
# Debian `deb` entry and used through a private apt configuration; /etc/apt is
# left alone. Needs apt-get, dpkg-deb, tar, xz and about 150 MB of scratch space.
#
# usage: scripts/fetch-face-data.sh [DEST]   (default: data/faces)
set -euo pipefail

dest=${1:-data/faces}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ifq-face-data.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt drops to the _apt user for downloads

# As root, apt hands downloads to the _apt user, which cannot write into our
# private folders; downloading as root there is what it would fall back to.
sandbox=()
if [[ $(id -u) -eq 0 ]]; then sandbox=(-o "APT::Sandbox::User=root"); fi

say() { printf 'fetch-face-data: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- binary packages: apt-get download + dpkg-deb -x (no dependencies pulled)
download() {  # package...
  (cd "$work" && apt-get "${sandbox[@]}" download "$@") >/dev/null || die "apt-get download $* failed"
}
extract() {  # package -> $work/root
  local deb
  deb=$(ls "$work"/"$1"_*.deb 2>/dev/null | head -n 1)
  [[ -n $deb ]] || die "no .deb for $1"
  dpkg-deb -x "$deb" "$work/root"
}

say "downloading libdlib19.1, darknet, dde-account-faces, python3-skimage"
download libdlib19.1 darknet dde-account-faces python3-skimage
for p in libdlib19.1 darknet dde-account-faces python3-skimage; do extract "$p"; done

mkdir -p "$dest/dlib"
faces_src="$work/root/usr/share/doc/libdlib19.1/examples/faces"
[[ -f $faces_src/testing.xml ]] || die "libdlib19.1 has no examples/faces/testing.xml"
cp "$faces_src"/training.xml "$faces_src"/testing.xml "$dest/dlib/"
# Only the photos the two XML files reference (the others have no boxes).
grep -ho "file='[^']*'" "$faces_src/training.xml" "$faces_src/testing.xml" | sed "s/file='\(.*\)'/\1/" |
  sort -u | while read -r f; do cp "$faces_src/$f" "$dest/dlib/"; done

# Backgrounds: hand-checked to show no human face (darknet's kite, person and
# scream, skimage's astronaut and camera do, so they are left out).
mkdir -p "$dest/backgrounds"
for f in dog eagle giraffe horses; do
  cp "$work/root/usr/share/darknet/data/$f.jpg" "$dest/backgrounds/darknet_$f.jpg"
done
for f in "$work"/root/var/lib/AccountsService/icons/bigger/[0-9]*.png; do
  cp "$f" "$dest/backgrounds/dde_$(basename "$f")"
done
sk="$work/root/usr/lib/python3/dist-packages/skimage/data"
for f in brick.png cell.png chelsea.png clock_motion.png coffee.png coins.png color.png grass.png gravel.png \
         hubble_deep_field.jpg ihc.png moon.png motorcycle_left.png motorcycle_right.png page.png retina.jpg \
         rocket.jpg text.png; do
  cp "$sk/$f" "$dest/backgrounds/skimage_$f"
done

# ---- the opencv source package, through a private deb-src list
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $codename ]] || die "cannot read VERSION_CODENAME from /etc/os-release"

# The first enabled `deb` entry for the release itself, one-line or deb822 style.
find_debian_uri() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk -v c="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                         if ($(i + 1) == c) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v c="$codename" 'BEGIN { RS = ""; FS = "\n" }
      { types = uris = suites = enabled = ""
        for (k = 1; k <= NF; k++) {
          if ($k ~ /^Types:/) types = $k; else if ($k ~ /^URIs:/) uris = $k
          else if ($k ~ /^Suites:/) suites = $k; else if ($k ~ /^Enabled:/) enabled = $k }
        if (types ~ /(^|[ :])deb( |$)/ && enabled !~ /no/ && (" " suites " ") ~ (" " c " ")) {
          sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f"
  done
}
uri=$(find_debian_uri | head -n 1)
[[ -n $uri ]] || die "no enabled 'deb' entry for $codename in /etc/apt; cannot derive a deb-src source"
say "deb-src for opencv from the configured archive ($codename)"

mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$uri" "$codename" >"$work/apt/sources.sources"
apt_opts=(-o "Dir::Etc::sourcelist=$work/apt/sources.sources" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
          -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")
apt_opts+=("${sandbox[@]}")
apt-get "${apt_opts[@]}" update >/dev/null || die "apt-get update of the private deb-src list failed"
(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only opencv) >/dev/null ||
  die "apt-get source --download-only opencv failed"
orig=$(ls "$work"/src/opencv_*.orig.tar.* 2>/dev/null | head -n 1)
[[ -n $orig ]] || die "the opencv source package has no orig tarball"
mkdir -p "$dest/vec"
tar -xf "$orig" -C "$work/src" --wildcards '*/data/vec_files/trainingfaces_24-24.vec' ||
  die "trainingfaces_24-24.vec not found in $(basename "$orig")"
find "$work/src" -name trainingfaces_24-24.vec -exec cp {} "$dest/vec/" \;

say "done: $dest"
say "  dlib photos: $(ls "$dest"/dlib/*.jpg | wc -l), backgrounds: $(ls "$dest"/backgrounds | wc -l),"
say "  face crops: $dest/vec/trainingfaces_24-24.vec ($(stat -c %s "$dest/vec/trainingfaces_24-24.vec") bytes)"
