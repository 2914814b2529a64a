# rsp.dnssec: the README's two commands are `make lab` and `make test`.
# Both run `make setup` first, so they work on a fresh Debian 12/13 machine (root).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup test lab lab-down lint sanity units integration molecule terraform build clean

help:
	@echo "make lab       build and validate the whole signing service in containers"
	@echo "make lab-down  remove the lab containers and network"
	@echo "make test      everything CI runs (lint, sanity, units, integration, terraform, molecule)"
	@echo "make setup     bootstrap this machine: apt packages, .venv, podman config, image"
	@echo "make build     build the collection tarball (ansible-galaxy collection build)"

setup:
	@tools/setup.sh

test: setup
	@tools/test.sh

lab: setup
	@tools/lab.sh up

lab-down:
	@tools/lab.sh down

# Single stages, for development (same commands as in `make test`).
lint sanity units integration molecule terraform: setup
	@tools/test.sh $@

build: setup
	@mkdir -p artifacts && .venv/bin/ansible-galaxy collection build --force --output-path artifacts .

clean:
	rm -rf .cache/ansible_collections_copy artifacts .pytest_cache .ruff_cache
