#!/usr/bin/env bash
# Build the Lambda package that deploy/template.yaml deploys (its CodeUri): trailwarden, its bundled
# rule packs and every dependency, as wheels for the function's runtime — Python 3.13 on x86_64
# Amazon Linux 2023 — installed flat into build/lambda/. Extra rule folders named as arguments are
# copied in beside it; name them (relative to the package) in the stack's ExtraRules parameter.
#
#   deploy/package.sh [RULE_FOLDER ...]
#   PYTHON_VERSION=3.12 deploy/package.sh    # another runtime (and change Runtime in the template)
set -euo pipefail
cd "$(dirname "$0")/.."

python_version="${PYTHON_VERSION:-3.13}"
# Amazon Linux 2023 has glibc 2.34: wheels for any manylinux up to 2.28 run there. pip does not
# widen one --platform to the older tags, so each is named.
platforms=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64)
out=build/lambda
pip="${PIP:-python3 -m pip}"

rm -rf "$out" build/wheel
$pip wheel --quiet --no-deps --wheel-dir build/wheel .
$pip install --quiet --target "$out" --implementation cp --python-version "$python_version" \
  "${platforms[@]/#/--platform=}" --only-binary=:all: build/wheel/trailwarden-*.whl
for rules in "$@"; do
  cp -R "$rules" "$out/$(basename "$rules")"
done
# Bytecode for the runtime's Python is made at first import; leave none built for this machine's.
find "$out" -name '__pycache__' -type d -prune -exec rm -rf {} +
echo "built $out ($(du -sh "$out" | cut -f1)) for Python $python_version on x86_64 Amazon Linux 2023"
