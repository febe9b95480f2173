#!/usr/bin/env bash
# Layering: a module includes only its own headers and those of the modules it links
# (src/CMakeLists.txt's DEPS, transitively), never one listed after it. This is the order
# docs/architecture.md draws; a violation names the file, the line and the module it reaches.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# The public headers a module owns besides include/vigil/<module>.h.
owner_of_header() {
  case "$1" in
    status.h | time.h | event.h) echo common ;;
    incident_json.h) echo incident ;;
    templates.h) echo explain ;;
    nab.h) echo eval ;;
    *) echo "${1%.h}" ;;
  esac
}

# module -> its direct DEPS, in the order src/CMakeLists.txt lists them.
declare -A deps=()
order=()
while read -r line; do
  spec=${line#vigil_module(}
  spec=${spec%)*}
  read -ra words <<<"$spec"
  name=${words[0]}
  order+=("$name")
  list=""
  in_deps=0
  for w in "${words[@]:1}"; do
    case "$w" in
      DEPS) in_deps=1 ;;
      LIBS | PUBLIC_LIBS) in_deps=0 ;;
      *) [ $in_deps = 1 ] && list+=" $w" ;;
    esac
  done
  deps[$name]=$list
done < <(grep -E '^vigil_module\(' src/CMakeLists.txt)

# Transitive closure, computed bottom-up (each module's DEPS are listed before it).
declare -A reach=()
for m in "${order[@]}"; do
  all=" $m "
  for d in ${deps[$m]}; do
    for r in ${reach[$d]:-$d}; do
      [[ $all == *" $r "* ]] || all+="$r "
    done
  done
  reach[$m]=$all
done

violations=0
for m in "${order[@]}"; do
  [ -d "src/$m" ] || continue
  while IFS=: read -r file lineno text; do
    target=${text#*\"}
    target=${target%%\"*}
    dir=${target%%/*}
    base=${target#*/}
    if [ "$dir" = vigil ]; then
      owner=$(owner_of_header "$base")
    else
      owner=$dir
    fi
    [ -n "${reach[$owner]:-}" ] || continue  # not a module (e.g. a third-party header)
    if [[ ${reach[$m]} != *" $owner "* ]]; then
      echo "$file:$lineno: module '$m' includes $target of module '$owner', which it does not link"
      violations=$((violations + 1))
    fi
  done < <(grep -nE '^#include "[a-z_]+/[a-z_]+\.h"' "src/$m"/*.cc "src/$m"/*.h 2>/dev/null | sed 's/^\([^:]*\):\([0-9]*\):/\1:\2:/')
done

# Public headers follow the same rule: a module's header includes only headers below it.
for header in include/vigil/*.h; do
  owner=$(owner_of_header "$(basename "$header")")
  [ -n "${reach[$owner]:-}" ] || continue
  while IFS=: read -r lineno text; do
    target=${text#*\"vigil/}
    target=${target%%\"*}
    other=$(owner_of_header "$target")
    [ -n "${reach[$other]:-}" ] || continue
    if [[ ${reach[$owner]} != *" $other "* ]]; then
      echo "$header:$lineno: header of module '$owner' includes vigil/$target of module '$other'"
      violations=$((violations + 1))
    fi
  done < <(grep -nE '^#include "vigil/[a-z_]+\.h"' "$header")
done

if [ $violations -gt 0 ]; then
  echo "layering: $violations include(s) reach a module not below the includer"
  exit 1
fi
echo "layering: ${#order[@]} modules, every include reaches only modules below"
