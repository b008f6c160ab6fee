"""Staff console in a real browser (issue 14): time to a usable Network Activity page for a
patron with 20 and 300 loans across 3 members, and the pages' weight (scripts and styles).

"Usable" = from pressing Enter on the patron id to the loans table holding every row and the
counter showing the total (measured in the page with performance.now(), headless Chromium,
the hub and 4 nodes (home + 3 members) on loopback, SQLite). Median and p90 of 15 runs after 3
warm-ups; the hub's member calls are real (no cache).

    python -m bench.bench_console_pages
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright
from tests.browser.conftest import ARGS, CHROMIUM
from tests.support.builders import api_key, holding, patron, record, two_library_institution
from tests.support.network import start_network
from tests.support.network_data import linked_patron

from bench.common import percentile

RESULTS = Path(__file__).parent / "results"
RUNS, WARMUP = 15, 3
MEMBERS = ("UNIB", "UNIC", "UNID")


def _network(loans: int) -> list[dict[str, Any]]:
    home = two_library_institution("UNIA")
    home["users"].append(patron("BIG"))
    out = [home]
    for m, code in enumerate(MEMBERS):
        data = two_library_institution(code)
        data["users"].append(linked_patron("UNIA", "BIG"))
        share = loans // len(MEMBERS) + (1 if m < loans % len(MEMBERS) else 0)
        barcodes = [f"{code}-{n}" for n in range(share)]
        data["records"].append(record(f"rec-{code}", holdings=[holding("MAIN", *barcodes)]))
        data["loans"] = [
            {
                "barcode": b,
                "patron": "UNIA:BIG",
                "desk": "MAIN-DESK",
                "loaned_at": "2026-01-05T10:00:00Z",
                "due_at": f"2026-02-{1 + n % 28:02d}T10:00:00Z",
            }
            for n, b in enumerate(barcodes)
        ]
        out.append(data)
    return out


MEASURE = """async (total) => {
  const t0 = performance.now();
  document.querySelector('#find button').click();
  while (!(document.querySelectorAll('#rows tbody tr').length === total
           && document.getElementById('loan-count').textContent === String(total))) {
    await new Promise(r => setTimeout(r, 1));  // rAF is throttled in a headless page
  }
  const t = performance.now() - t0;
  document.querySelector('#rows tbody').textContent = '';
  document.getElementById('loan-count').textContent = '';
  return t;
}"""


async def measure(loans: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        net = await start_network(Path(tmp), _network(loans))
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = await browser.new_page()
                await page.goto(f"{net.hub_url}/staff/")
                await page.click("summary")
                await page.fill("#api-key", api_key("unia-admin"))
                await page.click("text=Sign in with the key")
                await page.wait_for_url("**/staff/activity")
                await page.fill("#patron-id", "BIG")
                samples = [await page.evaluate(MEASURE, loans) for _ in range(RUNS + WARMUP)]
                weight = await page.evaluate(
                    """() => performance.getEntriesByType('resource')
                         .filter(e => /\\.(js|css)$/.test(e.name))
                         .reduce((n, e) => n + e.decodedBodySize, 0)"""
                )
                await browser.close()
        finally:
            await net.close()
    timed = samples[WARMUP:]
    return {
        "loans": loans,
        "median_ms": round(statistics.median(timed), 1),
        "p90_ms": round(percentile(timed, 90), 1),
        "scripts_and_styles_bytes": weight,
    }


def page_weights() -> dict[str, int]:
    static = Path(__file__).parents[1] / "src/network_hub/web/static"
    size = {p.name: p.stat().st_size for p in static.iterdir()}
    return {
        "console (site.css, common.js, activity.js)": size["site.css"]
        + size["common.js"]
        + size["activity.js"],
        "Get It widget frame (site.css, widget-common.js, getit.js)": size["site.css"]
        + size["widget-common.js"]
        + size["getit.js"],
        "embed.js (in the discovery page)": size["embed.js"],
    }


async def main() -> None:
    rows = [await measure(n) for n in (20, 300)]
    weights = page_weights()
    print("loans  median ms  p90 ms")
    for r in rows:
        print(f"{r['loans']:>5}  {r['median_ms']:>9}  {r['p90_ms']:>6}")
    for name, size in weights.items():
        print(f"{size:>7} bytes  {name}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console_pages.json").write_text(
        json.dumps({"network_activity": rows, "page_weight_bytes": weights}, indent=2) + "\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
