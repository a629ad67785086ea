# shellcheck shell=bash
# A cached minimal Debian tree, made with mmdebstrap from Debian's archive,
# and a command run inside one: the one home of what scripts/build-in-tree,
# scripts/boot-test and scripts/bundle-test share. Sourced, not run:
#
#   . scripts/lib/debian-tree.sh
#   debian_tree_make [OPTIONS] SUITE TREE PACKAGE...
#   (debian_tree_run [OPTIONS] TREE CMD...)
#
# debian_tree_make makes TREE (variant apt: apt and what PACKAGEs need, no
# recommends, no documentation, manual pages or translations; localhost in
# /etc/hosts without a network) or brings it up to date. Its sources are the
# mirror this machine's apt uses (scripts/debian-mirror) for SUITE and
# SUITE-updates, and SUITE-security where this machine has a security
# archive. TREE/etc/tether-tree.stamp records them, the options, then the
# packages (sorted):
#   sources or options changed, no tree, or --fresh: made anew in TREE.new,
#     stamped, then renamed to TREE (a killed run never leaves a half tree
#     that looks done);
#   a package the stamp lacks: apt-get update, upgrade and install in TREE
#     (a tree with more packages serves as it is);
#   otherwise current.
# TREE.lock keeps two runs from making or refreshing one tree at once.
# Options:
#   --fresh            make it anew even if current
#   --user NAME:UID    an account (uid = gid) with a home in /home/NAME
#   --pin SUITE        SUITE's archive too, at pin priority 1 (only what is
#                      asked for as PACKAGE/SUITE comes from it)
#   --hostname NAME    /etc/hostname, and NAME at 127.0.1.1 in /etc/hosts
#   --log FILE         mmdebstrap's output into FILE, shown if it fails
#   --announce FUNC    FUNC new|refresh|current is called, under the lock,
#                      before the tree is made or refreshed, so each script
#                      says it its own way
# After it debian_tree_state is new, refresh or current and
# debian_tree_mirror the mirror. Returns non-zero (after a message on stderr)
# if the tree could not be made.
#
# debian_tree_run runs CMD (with `env -i`: pass the environment as VAR=value
# words before the command) in TREE through chroot, in a mount namespace of
# its own: /dev, /proc, /sys, this machine's resolv.conf, and /tmp bound to
# an empty folder; nothing stays mounted when it ends, however it ends. It
# execs unshare (the caller's process becomes it, so with --pid killing that
# process kills the command and all it started): call it in a subshell to
# carry on afterwards. Options:
#   --tmp DIR          the folder for the tree's /tmp, emptied first
#                      (default TREE.tmp)
#   --bind SRC DST     SRC at DST in the tree (DST made if missing: a folder,
#   --bind-ro SRC DST  or an empty file where SRC is no folder, e.g. a
#                      socket), in the order given, after /tmp; --bind-ro
#                      read-only
#   --uid UID          as UID (group UID), not root
#   --pid              in a PID namespace of its own too, killed with the
#                      caller (unshare --kill-child): no process outlives it

debian_tree_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

debian_tree_make() {
  local fresh=0 users=() pins=() hostname='' log='' announce=:
  while (($#)); do
    case $1 in
      --fresh) fresh=1; shift ;;
      --user) users+=("$2"); shift 2 ;;
      --pin) pins+=("$2"); shift 2 ;;
      --hostname) hostname=$2; shift 2 ;;
      --log) log=$2; shift 2 ;;
      --announce) announce=$2; shift 2 ;;
      *) break ;;
    esac
  done
  local suite=$1 tree=$2
  shift 2
  local packages=("$@")

  debian_tree_mirror=$("$debian_tree_lib_dir/../debian-mirror") || return 1
  local security_mirror
  # shellcheck source=/dev/null
  security_mirror=$(. /etc/os-release && apt-cache policy |
    awk -v s="$VERSION_CODENAME-security/main" '$3 == s { print $2; exit }')
  local sources=("deb $debian_tree_mirror $suite main" "deb $debian_tree_mirror $suite-updates main")
  [[ -n $security_mirror ]] && sources+=("deb $security_mirror $suite-security main")
  local pin user name uid
  for pin in "${pins[@]}"; do sources+=("deb $debian_tree_mirror $pin main"); done
  # What makes the tree anew when it changes; the pins are in the sources.
  local header=("${sources[@]}")
  for user in "${users[@]}"; do header+=("user ${user%%:*} ${user#*:}"); done
  [[ -n $hostname ]] && header+=("hostname $hostname")

  local stamp=$tree/etc/tether-tree.stamp lock_fd
  mkdir -p "$(dirname "$tree")" || return 1
  exec {lock_fd}>"$tree.lock"
  flock "$lock_fd" || return 1
  debian_tree_state=current
  if ((fresh)) || [[ ! -x $tree/usr/bin/apt-get || ! -f $stamp ]] ||
    [[ $(head -n "${#header[@]}" "$stamp") != "$(printf '%s\n' "${header[@]}")" ]]; then
    debian_tree_state=new
  elif [[ -n $(comm -23 <(printf '%s\n' "${packages[@]}" | sort -u) <(tail -n +$((${#header[@]} + 1)) "$stamp")) ]]; then
    debian_tree_state=refresh
  fi
  "$announce" "$debian_tree_state"

  local rc=0 had=()
  case $debian_tree_state in
    new)
      # localhost resolves without a network (in a chroot no service starts:
      # invoke-rc.d finds no init system and blocks them).
      local hosts='127.0.0.1 localhost\n'
      [[ -n $hostname ]] && hosts+="127.0.1.1 $hostname\\n"
      hosts+='::1 localhost ip6-localhost ip6-loopback\n'
      # (/etc/machine-id mmdebstrap leaves empty: a booted tree makes its own.)
      local hooks=(--customize-hook="printf '$hosts' >\"\$1/etc/hosts\"")
      [[ -n $hostname ]] && hooks+=(--customize-hook="echo '$hostname' >\"\$1/etc/hostname\"")
      for pin in "${pins[@]}"; do
        hooks+=(--setup-hook="mkdir -p \"\$1/etc/apt/preferences.d\"; printf 'Package: *\nPin: release n=$pin\nPin-Priority: 1\n' >\"\$1/etc/apt/preferences.d/tether-$pin\"")
      done
      for user in "${users[@]}"; do
        name=${user%%:*} uid=${user#*:}
        hooks+=(--customize-hook="echo '$name:x:$uid:$uid:$name:/home/$name:/bin/sh' >>\"\$1/etc/passwd\"; echo '$name:x:$uid:' >>\"\$1/etc/group\"; mkdir -p \"\$1/home/$name\"; chown $uid:$uid \"\$1/home/$name\"")
      done
      local include=()
      ((${#packages[@]})) && include=(--include="${packages[*]}")
      rm -rf "$tree.new"
      # Documentation, manual pages and translations: nothing here reads them.
      local mmdebstrap=(mmdebstrap --mode=root --variant=apt --format=directory
        --aptopt='APT::Install-Recommends "false"'
        --dpkgopt='path-exclude=/usr/share/man/*'
        --dpkgopt='path-exclude=/usr/share/locale/*'
        --dpkgopt='path-exclude=/usr/share/info/*'
        --dpkgopt='path-exclude=/usr/share/doc/*'
        --dpkgopt='path-include=/usr/share/doc/*/copyright'
        "${include[@]}" "${hooks[@]}" "$suite" "$tree.new" "${sources[@]}")
      if [[ -n $log ]]; then "${mmdebstrap[@]}" >"$log" 2>&1 || { sed 's/^/  /' "$log" >&2; rc=1; }
      else "${mmdebstrap[@]}" || rc=1
      fi
      if ((rc == 0)); then
        { printf '%s\n' "${header[@]}"; printf '%s\n' "${packages[@]}" | sort -u; } >"$tree.new/etc/tether-tree.stamp" &&
          rm -rf "$tree" && mv "$tree.new" "$tree" || rc=1
      else
        echo "debian-tree: mmdebstrap $suite into $tree.new failed" >&2
        rm -rf "$tree.new"
      fi
      ;;
    refresh)
      mapfile -t had < <(tail -n +$((${#header[@]} + 1)) "$stamp")
      local env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive)
      if (debian_tree_run "$tree" "${env[@]}" apt-get update -q) &&
        (debian_tree_run "$tree" "${env[@]}" apt-get -y -q upgrade) &&
        (debian_tree_run "$tree" "${env[@]}" apt-get -y -q install --no-install-recommends "${packages[@]}"); then
        # Stamped last: a killed refresh is done again.
        { printf '%s\n' "${header[@]}"; printf '%s\n' "${had[@]}" "${packages[@]}" | sort -u; } >"$stamp" || rc=1
      else
        echo "debian-tree: apt-get in $tree failed" >&2
        rc=1
      fi
      ;;
  esac
  exec {lock_fd}>&-
  return "$rc"
}

debian_tree_run() {
  local run_tmp="" uid="" pid_ns=() binds=()
  while (($#)); do
    case $1 in
      --tmp) run_tmp=$2; shift 2 ;;
      --bind) binds+=(rw "$2" "$3"); shift 3 ;;
      --bind-ro) binds+=(ro "$2" "$3"); shift 3 ;;
      --uid) uid=$2; shift 2 ;;
      --pid) pid_ns=(--pid --fork --kill-child); shift ;;
      *) break ;;
    esac
  done
  local tree=$1
  shift
  run_tmp=${run_tmp:-$tree.tmp}
  rm -rf "$run_tmp" && mkdir -p "$run_tmp" && chmod 1777 "$run_tmp" || return 1
  exec unshare --mount "${pid_ns[@]}" --propagation private -- /bin/bash -euc '
    tree=$1 run_tmp=$2 uid=$3
    shift 3
    mount --rbind /dev "$tree/dev"
    mount -t proc proc "$tree/proc"
    mount -t sysfs sysfs "$tree/sys"
    mount --bind "$run_tmp" "$tree/tmp"
    # apt resolves names as this machine does.
    if [[ -L $tree/etc/resolv.conf || ! -f $tree/etc/resolv.conf ]]; then
      rm -f "$tree/etc/resolv.conf" && : >"$tree/etc/resolv.conf"
    fi
    mount --bind /etc/resolv.conf "$tree/etc/resolv.conf"
    while [[ $1 != -- ]]; do
      if [[ -d $2 ]]; then
        mkdir -p "$tree$3"
      elif [[ ! -e $tree$3 ]]; then
        mkdir -p "$(dirname "$tree$3")" && : >"$tree$3"
      fi
      mount --bind "$2" "$tree$3"
      [[ $1 == rw ]] || mount -o remount,bind,ro "$tree$3"
      shift 3
    done
    shift
    user=()
    [[ -z $uid ]] || user=(--userspec="$uid:$uid" --groups="$uid")
    # Not exec: with --pid this shell is the namespace'"'"'s PID 1, and it must
    # stay, as root: --kill-child kills it when unshare dies, and with it every
    # process of the namespace (chroot --userspec would clear that signal).
    chroot "${user[@]}" "$tree" /usr/bin/env -i "$@"
  ' debian-tree "$tree" "$run_tmp" "$uid" "${binds[@]}" -- "$@"
}
