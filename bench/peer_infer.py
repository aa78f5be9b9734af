"""Inference time of the PyTorch yardstick's generator, for `bench_step --forward-only`.

Runs the model-building part of ../shared/peers/torch_cyclegan_step.py (everything before its loss
definitions, with the same arguments), then times G in eval mode under torch.no_grad(), one batch per
forward, and prints the line bench_step --forward-only prints. Run it with the peer's interpreter:
  PEER_PY=/usr/bin/python3 (PyTorch 1.13; set LD_LIBRARY_PATH as torch_tuned.sh does) or
  ~/.cache/gan-peer/venv-torch/bin/python (PyTorch 2.x):
  $PEER_PY bench/peer_infer.py ../shared/peers/torch_cyclegan_step.py --gen resnet --size 256 --ngf 64 --steps 5
A measurement tool for this machine only; nothing in the project needs Python.
"""
import statistics
import sys
import time

script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
source = open(script).read()
cut = source.index("adv = nn.")  # the peer's models and inputs are built before its losses
scope = {"__name__": "peer"}
exec(compile(source[:cut], script, "exec"), scope)
torch, G, x, a, sync = scope["torch"], scope["G"], scope["x"], scope["a"], scope["sync"]
G.eval()
times = []
with torch.no_grad():
    G(x)
    sync()
    for _ in range(a.steps):
        t0 = time.perf_counter()
        G(x)
        sync()
        times.append(time.perf_counter() - t0)
med = statistics.median(times)
print(f"torch {torch.__version__} threads={a.threads} gen={a.gen} size={a.size} ngf={a.ngf} batch={a.batch}")
print(f"sec/forward median={med:.4f} min={min(times):.4f} max={max(times):.4f} images/s={a.batch / med:.2f}")
