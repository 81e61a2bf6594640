"""`kamkor intake FILE` through a served gateway in front of a served registry."""

from __future__ import annotations

import asyncio
import csv
import uuid
from pathlib import Path

import pytest

from kamkor_common.testing import dev_token, serving_app
from kamkor_gateway.cli import main
from kamkor_gateway.config import GatewaySettings
from kamkor_gateway.main import create_app as create_gateway
from kamkor_registry.config import RegistrySettings
from kamkor_registry.intake import columns
from kamkor_registry.main import create_app


class TestIntakeCommand:
    async def test_uploads_follows_the_job_and_prints_the_summary(
        self,
        registry_settings: RegistrySettings,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        ref = f"cli/{uuid.uuid4()}"
        path = tmp_path / "round.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns.COLUMNS)
            writer.writeheader()
            writer.writerow({**columns.EXAMPLE, "household_ref": ref})
            writer.writerow({**columns.EXAMPLE, "household_ref": ref, "sex": "f"})
        token = dev_token("social_worker", region="KG-J", districts=["KG-J-06"], subject="cli")
        async with serving_app(create_app(registry_settings), lifespan="on") as registry_url:
            gateway = create_gateway(
                GatewaySettings(
                    ENVIRONMENT="test",
                    REGISTRY_URL=registry_url,
                    RISK_URL=registry_url,
                    REFERRAL_URL=registry_url,
                    SHELTER_URL=registry_url,
                )
            )
            async with serving_app(gateway, lifespan="on") as gateway_url:
                code = await asyncio.to_thread(
                    main,
                    ["intake", str(path), "--gateway", gateway_url, "--token", token],
                )
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "completed; 2 rows read, 1 committed, 0 matched existing, 1 rejected" in captured.out
        assert "/rows?outcome=rejected" in captured.out
        assert "accepted" in captured.err
