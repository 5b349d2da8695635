#!/usr/bin/env bash
# Builds the slothd and slothctl packages into dist/:
#   dist/slothd_VERSION_ARCH.deb, dist/slothctl_VERSION_ARCH.deb   (dpkg-buildpackage, debian/)
#   dist/slothd-VERSION-1.ARCH.rpm, dist/slothctl-VERSION-1.ARCH.rpm (rpmbuild, packaging/rpm/)
# then runs lintian on the .debs and rpmlint on the .rpms (the run fails on any error or warning).
#
# Usage: packaging/build-packages.sh [--deb-only|--rpm-only] [--worktree] [--version V] [--no-lint]
#   --worktree   build the working tree (tracked and untracked, not ignored, files) instead of
#                the committed HEAD
#   --version V  package version V instead of the project's (e.g. 0.1.1 to test an upgrade);
#                for the .deb a changelog entry is added in the build copy only
# Builds in a temporary copy of the tree with at most 2 jobs (other builds share the machine).
# Needs: what packaging/install-deps.sh test installs (debhelper, scdoc, rpm, lintian, rpmlint, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIST=$ROOT/dist
want_deb=1 want_rpm=1 worktree=0 version="" lint=1
while (($#)); do
  case $1 in
    --deb-only) want_rpm=0 ;;
    --rpm-only) want_deb=0 ;;
    --worktree) worktree=1 ;;
    --version) version=$2; shift ;;
    --no-lint) lint=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build-packages: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

project_version=$(sed -n 's/^project(slothd VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
version=${version:-$project_version}
W=$(mktemp -d /tmp/slothd-packages.XXXXXX)
trap 'rm -rf "$W"' EXIT
SRC=$W/slothd-$version
mkdir -p "$SRC" "$DIST"

echo "== source tree ($([[ $worktree == 1 ]] && echo "working tree" || echo "HEAD $(git -C "$ROOT" rev-parse --short HEAD)")) -> $SRC"
if ((worktree)); then
  (cd "$ROOT" && git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -t "$SRC" 2>/dev/null || true)
else
  git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$SRC"
fi
# The copy has no .git: record the commit for sloth_build_info / slothd --version.
git -C "$ROOT" rev-parse --short=12 HEAD > "$SRC/.slothd-commit" 2>/dev/null || true
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct)}

status=0
if ((want_deb)); then
  echo "== .deb (dpkg-buildpackage -b -us -uc, parallel=2)"
  if [[ $version != "$project_version" ]]; then
    sed -i "s/^project(slothd VERSION [0-9.]*/project(slothd VERSION $version/" "$SRC/CMakeLists.txt"
    (cd "$SRC" && DEBFULLNAME="Sloth Runner maintainers" DEBEMAIL="maintainers@users.noreply.b-seed-a9281666.example" \
       dch --newversion "$version" --distribution unstable "Test build $version." 2>/dev/null ||
     { printf 'slothd (%s) unstable; urgency=medium\n\n  * Test build %s.\n\n -- %s  %s\n\n' "$version" "$version" \
         "$(sed -n 's/^ -- \(.*>\).*/\1/p' debian/changelog | head -1)" "$(date -R)" | cat - debian/changelog >debian/changelog.new &&
       mv debian/changelog.new debian/changelog; })
  fi
  (cd "$SRC" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -b -us -uc -j2) >"$W/deb.log" 2>&1 ||
    { tail -n 60 "$W/deb.log" >&2; echo "build-packages: dpkg-buildpackage failed" >&2; exit 1; }
  for f in "$W"/*.deb; do cp "$f" "$DIST/"; echo "   $DIST/$(basename "$f")"; done
  if ((lint)); then
    echo "== lintian"
    changes=$(ls "$W"/*.changes)
    if ! lintian --fail-on error,warning --info "$changes"; then status=1; fi
  fi
fi

if ((want_rpm)); then
  echo "== .rpm (rpmbuild -bb, _smp_mflags -j2)"
  R=$W/rpmbuild
  mkdir -p "$R"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
  tar -C "$W" --exclude="slothd-$version/debian" --exclude="slothd-$version/obj-*" \
    -czf "$R/SOURCES/slothd-$version.tar.gz" "slothd-$version"
  cp "$SRC/systemd/sysusers.d/slothd.conf" "$R/SOURCES/slothd.sysusers"
  rpmbuild -bb --define "_topdir $R" --define "_smp_mflags -j2" --define "slothd_version $version" \
    --nodeps "$ROOT/packaging/rpm/slothd.spec" >"$W/rpm.log" 2>&1 ||
    { tail -n 60 "$W/rpm.log" >&2; echo "build-packages: rpmbuild failed" >&2; exit 1; }
  for f in "$R"/RPMS/*/*.rpm; do cp "$f" "$DIST/"; echo "   $DIST/$(basename "$f")"; done
  if ((lint)); then
    echo "== rpmlint"
    if ! rpmlint -r "$ROOT/packaging/rpm/slothd.rpmlintrc" "$R"/RPMS/*/*.rpm; then status=1; fi
  fi
fi
exit "$status"
