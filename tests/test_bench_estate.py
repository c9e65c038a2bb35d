"""The estate benchmark's figures: percentiles, the goal check, and what it reads in the worker's log.

The benchmark itself runs in ``make bench``, never in the tests: nothing here is timed.
"""

from __future__ import annotations

import pytest

from bench.benchmarks.estate import GOALS, figure, percentile, spread, worker_log_figures, worker_seconds_by_task
from bench.benchmarks.worker_memory import flat_verdict

LOAD = ([0.5, 0.4, 0.3], [1.5, 0.6, 0.35])

WORKER_LOG = """\
2026-12-02 16:01:01,717 INFO celery.worker.strategy Task requests_app.tasks.fulfil_request[f246] received
2026-12-02 16:01:04,085 INFO weasyprint.progress Step 2 - Fetching and parsing CSS - CSS string
2026-12-02 16:01:04,800 INFO weasyprint.progress Step 1 - Fetching and parsing HTML - HTML string
2026-12-02 16:01:05,752 INFO weasyprint.progress Step 4 - Creating formatting structure
2026-12-02 16:01:06,050 INFO weasyprint.progress Step 7 - Adding PDF metadata
2026-12-02 16:01:07,947 INFO celery.app.trace Task requests_app.tasks.fulfil_request[f246] succeeded in 6.25s: None
2026-12-02 16:01:08,115 INFO celery.app.trace Task requests_app.tasks.send_email_message[98a9] succeeded in 0.08s: True
2026-12-02 16:01:09,000 INFO weasyprint.progress Step 1 - Fetching and parsing HTML - HTML string
2026-12-02 16:01:09,500 INFO weasyprint.progress Step 7 - Adding PDF metadata
2026-12-02 16:01:10,000 INFO celery.app.trace Task requests_app.tasks.fulfil_request[aa11] succeeded in 1.75s: None
2026-12-02 16:01:11,000 INFO weasyprint.progress Step 1 - Fetching and parsing HTML - HTML string
"""


def test_percentile_interpolates_between_the_closest_ranks() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.9) == pytest.approx(4.6)
    assert percentile(values, 1.0) == 5.0
    assert percentile([7.0], 0.9) == 7.0


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_spread_gives_median_p90_and_extremes_in_seconds() -> None:
    assert spread([0.2, 0.1, 0.4, 0.3]) == {
        "requests": 4,
        "median_s": 0.25,
        "p90_s": 0.37,
        "min_s": 0.1,
        "max_s": 0.4,
    }


def test_a_figure_within_its_goal_meets_it_and_carries_the_load_around_it() -> None:
    line = figure("estate_access_small", {"median_s": 0.12}, load=LOAD)
    assert line["name"] == "estate_access_small"
    assert line["goal"] == "median_s <= 0.15"
    assert line["meets_goal"] is True
    assert line["ratio"] == 0.8
    assert (line["loadavg_start"], line["loadavg_end"]) == LOAD


def test_a_figure_over_its_goal_misses_it() -> None:
    line = figure("estate_burst", {"all_completed_s": 14.6}, load=LOAD)
    assert line["goal"] == "all_completed_s <= 1.0"
    assert line["meets_goal"] is False
    assert line["ratio"] == 14.6


def test_the_cold_request_has_no_goal_and_claims_none() -> None:
    line = figure("estate_cold_request", {"seconds": 2.6}, load=LOAD)
    assert (line["goal"], line["meets_goal"], line["ratio"]) == (None, None, None)
    assert line["seconds"] == 2.6


def test_every_goal_names_a_figure_and_a_threshold_the_check_understands() -> None:
    for name, (key, goal) in GOALS.items():
        symbol, _, threshold = goal.partition(" ")
        assert symbol in ("<=", ">="), name
        assert float(threshold) > 0, name
        assert figure(name, {key: float(threshold)}, load=LOAD)["meets_goal"] is True


def test_the_worker_log_gives_each_bundle_task_and_each_complete_pdf_render() -> None:
    figures = worker_log_figures(WORKER_LOG)
    assert figures["bundle_tasks"] == 2
    assert figures["fulfil_task_s (worker log)"] == 4.0  # the median of 6.25 and 1.75; emails left out
    # Renders of 1.25 s and 0.5 s; the last one never reached step 7 and is left out.
    assert figures["pdf_steps_1_to_7_s (worker log)"] == 0.875


def test_a_log_without_bundle_work_says_so_rather_than_inventing_a_figure() -> None:
    assert worker_log_figures("2026-12-02 16:01:08,115 INFO celery.apps.worker ready.\n") == {
        "bundle_tasks": 0,
        "fulfil_task_s (worker log)": None,
        "pdf_steps_1_to_7_s (worker log)": None,
    }


def test_the_workers_time_is_summed_by_task_most_first() -> None:
    assert worker_seconds_by_task(WORKER_LOG) == {
        "fulfil_request": {"tasks": 2, "seconds": 8.0},
        "send_email_message": {"tasks": 1, "seconds": 0.08},
    }
    assert list(worker_seconds_by_task(WORKER_LOG)) == ["fulfil_request", "send_email_message"]


def test_children_within_15_percent_of_their_warmed_rss_are_flat() -> None:
    growth, replaced, flat = flat_verdict({"11": 180.0, "12": 182.0}, {"11": 200.0, "12": 170.0})
    assert growth == {"11": 0.111, "12": -0.066}
    assert (replaced, flat) == ([], True)


def test_a_child_that_grew_more_than_15_percent_is_not_flat() -> None:
    assert flat_verdict({"11": 180.0}, {"11": 210.0})[2] is False


def test_a_child_the_pool_replaced_is_named_and_not_called_flat() -> None:
    growth, replaced, flat = flat_verdict({"11": 180.0, "12": 182.0}, {"11": 181.0, "13": 140.0})
    assert (growth, replaced, flat) == ({"11": 0.006}, ["13"], False)
