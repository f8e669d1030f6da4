#!/usr/bin/env bash
# The docs check: ./balance docs-check, and the first step of ./balance test. Also on its own:
#   bash infra/balance/check-docs.sh
# Fails (exit 1), printing FILE:LINE and the problem, when a tracked Markdown file (git ls-files '*.md', outside
# node_modules):
#   - links to a file or directory the repository does not track, or to an #anchor that is no heading of the target
#     Markdown file (headings are turned into anchors the way GitHub does);
#   - has a relative link that resolves outside the repository, or a link that starts with / (use relative links);
#   - names a path of one machine: anything under /work, /tmp, /root or /home, in text or in code (paths inside the
#     containers, such as /var/lib/postgresql/data, are fine);
#   - refers to the original design notes, which live beside the repository, not in it.
# (A CamelCase name in backticks must be a class of this project or an alert of monitoring/alerts.yml.)
# It also fails when a tracked source file (*.java, *.sh, *.properties, *.yml, *.lua) refers to those notes, and when
# the docs or the sources name a package or class of this project that does not exist (org.acme..., or a class name
# in backticks in the docs).
# Links inside code blocks and code spans are not links. Tools: bash, git, grep, sed, awk, realpath.
#
# Sourced by ./balance (which then calls check_docs), or run as a script.

check_docs_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# the two ways of naming the design notes, spelled so that this file does not name them itself
check_docs_outside_refs=('..''/shared' 'DESIGN''.md')

# CamelCase words the docs write in backticks that are not classes of this project (a cookie attribute, Hibernate's
# exceptions)
check_docs_outside_names=(HttpOnly OptimisticLockException StaleStateException)

# A subshell: its options, traps and variables stay out of the shell that called it.
check_docs() (
  set +e -u -o pipefail
  root=$check_docs_root
  cd "$root" || exit 1
  tmp=$(mktemp -d) || exit 1
  trap 'rm -rf "$tmp"' EXIT

  problems=0
  problem() { # problem FILE LINE TEXT
    printf 'docs check: %s:%s: %s\n' "$1" "$2" "$3"
    problems=$((problems + 1))
  }

  # What a clone has: the tracked files (the index), and every directory above them.
  if ! git ls-files > "$tmp/tracked" 2>/dev/null; then
    find . -type f -not -path './.git/*' | sed 's#^\./##' > "$tmp/tracked"
  fi
  awk '{ n = split($0, part, "/"); path = ""
         for (i = 1; i < n; i++) { path = (i == 1) ? part[1] : path "/" part[i]; print path } }' "$tmp/tracked" \
    | sort -u > "$tmp/dirs"
  grep -E '\.md$' "$tmp/tracked" | grep -v -E '(^|/)node_modules/' > "$tmp/markdown"

  # slugs FILE: the anchors of a Markdown file, one a line: its headings as GitHub makes them (lower case, only
  # letters, digits, spaces, - and _ kept, spaces turned into -, a repeated heading numbered -1, -2 ...), and the
  # name="..." / id="..." of HTML anchors
  slugs() {
    awk '
      /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
      fenced { next }
      /^#+[ \t]/ {
        text = $0
        sub(/^#+[ \t]+/, "", text); sub(/[ \t]+#+[ \t]*$/, "", text); sub(/[ \t]+$/, "", text)
        gsub(/\]\([^)]*\)/, "", text)                      # [text](target): the text only
        text = tolower(text)
        gsub(/[^a-z0-9 _-]/, "", text)
        gsub(/ /, "-", text)
        slug = (text in seen) ? text "-" seen[text] : text
        seen[text]++
        print slug
      }
      {
        line = $0
        while (match(line, /(name|id)="[^"]*"/)) {
          anchor = substr(line, RSTART, RLENGTH); sub(/^[a-z]*="/, "", anchor); sub(/"$/, "", anchor)
          print anchor
          line = substr(line, RSTART + RLENGTH)
        }
      }' "$1"
  }

  # scan FILE: what to check in one Markdown file, one item a line: LINE<tab>KIND<tab>VALUE
  #   link  a link target (outside code): [text](target), [label]: target, href="target", src="target"
  #   path  a path of one machine, anywhere in the line (code included)
  #   ref   a reference to the design notes
  scan() {
    awk -v ref1="${check_docs_outside_refs[0]}" -v ref2="${check_docs_outside_refs[1]}" '
      BEGIN { machine = "(^|[^A-Za-z0-9._~/-])/(work|tmp|root|home)(/|[^A-Za-z0-9._-]|$)" }
      {
        if (index($0, ref1) || index($0, ref2)) print NR "\tref\t" $0
        line = $0
        while (match(line, machine)) {
          found = substr(line, RSTART, RLENGTH); sub(/^[^\/]/, "", found)
          print NR "\tpath\t" found
          line = substr(line, RSTART + RLENGTH)
        }
      }
      /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
      fenced { next }
      {
        line = $0
        gsub(/`[^`]*`/, "", line)                            # code spans hold no links
        if (match(line, /^[ ]*\[[^]]+\]:[ \t]+[^ \t]+/)) {   # [label]: target
          target = line; sub(/^[ ]*\[[^]]+\]:[ \t]+/, "", target); sub(/[ \t].*$/, "", target)
          print NR "\tlink\t" target
        }
        rest = line
        while (match(rest, /\]\([^)]*\)/)) {                 # [text](target "title")
          target = substr(rest, RSTART + 2, RLENGTH - 3)
          sub(/^[ \t]+/, "", target); sub(/[ \t].*$/, "", target); sub(/^</, "", target); sub(/>$/, "", target)
          print NR "\tlink\t" target
          rest = substr(rest, RSTART + RLENGTH)
        }
        rest = line
        while (match(rest, /(href|src)="[^"]*"/)) {
          target = substr(rest, RSTART, RLENGTH); sub(/^[a-z]*="/, "", target); sub(/"$/, "", target)
          print NR "\tlink\t" target
          rest = substr(rest, RSTART + RLENGTH)
        }
      }' "$1"
  }

  files=0 links=0
  while IFS= read -r md; do
    [ -f "$md" ] || { problem "$md" 0 "tracked but missing from the working tree"; continue; }
    files=$((files + 1))
    dir=$(dirname "$md")
    scan "$md" > "$tmp/items"
    while IFS=$'\t' read -r line kind value; do
      case "$kind" in
        ref) problem "$md" "$line" "refers to the design notes outside the repository (write what matters here)" ;;
        path) problem "$md" "$line" "names a path of one machine: $value" ;;
        link)
          links=$((links + 1))
          target=$value
          # a URL (https:, mailto: ...) is not ours to check
          [ -n "$target" ] || continue
          [[ "$target" =~ ^[A-Za-z][A-Za-z0-9+.-]*: || "$target" == //* ]] && continue
          if [[ "$target" == /* ]]; then
            problem "$md" "$line" "absolute link $target: use a path relative to $md"; continue
          fi
          path=${target%%#*}; anchor=""
          [ "$path" = "$target" ] || anchor=${target#*#}
          path=${path%%\?*}
          path=${path//%20/ }
          if [ -z "$path" ]; then
            file=$md
          else
            resolved=$(realpath -m -- "$dir/$path")
            case "$resolved" in
              "$root") file="" ;;
              "$root"/*) file=${resolved#"$root"/} ;;
              *) problem "$md" "$line" "link $target leads outside the repository"; continue ;;
            esac
            if [ -n "$file" ]; then
              if grep -qxF -- "$file" "$tmp/tracked"; then
                [ -e "$file" ] || { problem "$md" "$line" "broken link $target: $file is tracked but missing"; continue; }
              elif grep -qxF -- "$file" "$tmp/dirs"; then
                [ -d "$file" ] || { problem "$md" "$line" "broken link $target: directory $file is missing"; continue; }
              elif [ -e "$file" ]; then
                problem "$md" "$line" "link $target: $file is not tracked by git (a clone does not have it)"; continue
              else
                problem "$md" "$line" "broken link $target: no such file or directory in the repository"; continue
              fi
            fi
          fi
          if [ -n "$anchor" ] && [ -n "$file" ] && [ -f "$file" ] && [[ "$file" == *.md ]]; then
            slugs "$file" > "$tmp/slugs"
            grep -qxF -- "$(printf '%s' "$anchor" | tr 'A-Z' 'a-z')" "$tmp/slugs" \
              || problem "$md" "$line" "link $target: no heading #$anchor in $file"
          fi ;;
      esac
    done < "$tmp/items"
  done < "$tmp/markdown"

  # Sources: no reference to the design notes in code or comments.
  git ls-files '*.java' '*.sh' '*.properties' '*.yml' '*.lua' 2>/dev/null | grep -v -E '(^|/)node_modules/' \
    > "$tmp/sources"
  while IFS= read -r source; do
    [ -f "$source" ] || continue
    grep -nF -e "${check_docs_outside_refs[0]}" -e "${check_docs_outside_refs[1]}" -- "$source" \
      | while IFS=: read -r line _; do
          printf 'docs check: %s:%s: %s\n' "$source" "$line" "refers to the design notes outside the repository"
        done
  done < "$tmp/sources" > "$tmp/source-problems"
  if [ -s "$tmp/source-problems" ]; then
    cat "$tmp/source-problems"
    problems=$((problems + $(wc -l < "$tmp/source-problems")))
  fi

  # Names of the code that no longer exist: a package or class of this project written out (org.acme.users.chat,
  # org.acme.balance.topology.ComposeTopology, in the docs, settings, scripts or comments), and a class named in
  # backticks in the docs (`ComposeTopology`). Other projects' CamelCase words in backticks: check_docs_outside_names.
  grep -E '/src/(main|test)/java/.*\.java$' "$tmp/tracked" | sed -E 's#.*/src/(main|test)/java/##; s#\.java$##; s#/#.#g' \
    | sort -u > "$tmp/classes"
  awk '{ n = split($0, part, "."); path = part[1]; for (i = 2; i < n; i++) { path = path "." part[i]; print path } }' \
    "$tmp/classes" | sort -u > "$tmp/packages"
  # (and the alerts of monitoring/alerts.yml: `InstanceDown` names a rule, which must exist too)
  { sed 's/.*\.//' "$tmp/classes"; sed -nE 's/^ *- alert: *([A-Za-z0-9]+) *$/\1/p' monitoring/alerts.yml 2>/dev/null; } \
    | sort -u > "$tmp/simple-names"
  { cat "$tmp/markdown"; git ls-files '*.java' '*.sh' '*.properties' '*.yml' '*.lua' '*.gnuplot' '*.json' 2>/dev/null; } \
    | grep -v -E '(^|/)node_modules/' | sort -u > "$tmp/named-in"
  while IFS= read -r file; do
    [ -f "$file" ] || continue
    grep -noE 'org\.acme(\.[A-Za-z_][A-Za-z0-9_]*)+' -- "$file" | while IFS=: read -r line name; do
      known=""; rest=${name#org.acme}
      prefix=org.acme
      # the longest package the name starts with, then a class of it (what follows a class: nested ones, members)
      while [ -n "$rest" ]; do
        next=${rest#.}; next=${next%%.*}
        grep -qxF -- "$prefix.$next" "$tmp/packages" || break
        prefix=$prefix.$next; rest=${rest#."$next"}
      done
      next=${rest#.}; next=${next%%.*}
      if [ -z "$rest" ] || grep -qxF -- "$prefix.$next" "$tmp/classes"; then known=yes; fi
      [ -n "$known" ] || printf 'docs check: %s:%s: %s\n' "$file" "$line" "$name: no such package or class in the repository"
    done
  done < "$tmp/named-in" > "$tmp/name-problems"
  while IFS= read -r md; do
    grep -noE '`[A-Z][a-z0-9]+([A-Z][a-z0-9]*)+`' -- "$md" | while IFS=: read -r line name; do
      name=${name//\`/}
      grep -qxF -- "$name" "$tmp/simple-names" && continue
      printf '%s\n' "${check_docs_outside_names[@]}" | grep -qxF -- "$name" && continue
      printf 'docs check: %s:%s: %s\n' "$md" "$line" "\`$name\`: no class of that name in the repository (another project's? add it to check_docs_outside_names)"
    done
  done < "$tmp/markdown" >> "$tmp/name-problems"
  if [ -s "$tmp/name-problems" ]; then
    cat "$tmp/name-problems"
    problems=$((problems + $(wc -l < "$tmp/name-problems")))
  fi

  if [ "$problems" -gt 0 ]; then
    echo "docs check: $problems problem(s) in $files Markdown files and the sources"
    exit 1
  fi
  echo "docs check: ok ($files Markdown files, $links links, no reference outside the repository, every class and package named exists)"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  check_docs "$@"
fi
