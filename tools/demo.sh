#!/usr/bin/env bash
echo "tools/demo.sh: the end-to-end demo is not built yet (see the issue 'Built-in MRI phantom, gan_eval, and the main job')." >&2
exit 1
