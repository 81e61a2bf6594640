# Kamkor: the two commands that matter are `make run` and `make test`.
UV ?= uv
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: install run test test-e2e lint format bench clean migration

install:
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --frozen

run: install
	$(UV) run kamkor run

test: install
	$(UV) run pytest

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/common/src services/registry/src services/risk/src services/referral/src services/shelter/src gateway/src bench

format:
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

# nginx is only the yardstick for the gateway's overhead; without it that column says so.
bench: install
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		(command -v apt-get >/dev/null && (apt-get install -y -q nginx-light >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null 2>&1 && apt-get install -y -q nginx-light >/dev/null 2>&1))) || \
		echo "nginx not installed: the load report leaves its column empty"
	$(UV) run python -m bench

# make migration SERVICE=referral MSG="add webhook endpoints"
migration:
	$(UV) run python -c "from pathlib import Path; from kamkor_common.db import make_revision; make_revision(Path('services/$(SERVICE)/migrations'), '$(MSG)')"

clean:
	rm -rf var/
