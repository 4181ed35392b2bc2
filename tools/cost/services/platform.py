"""What every deployment carries: CloudWatch, WAF, CloudFront, Cognito and KMS."""

from __future__ import annotations

from tools.cost.items import GIB, LineItem, per_million, usd
from tools.cost.prices import ServicePrices
from tools.cost.scenario import Scenario, Volumes
from tools.cost.services.compute import PAGE_LOADS_PER_USER, rest_calls

LOG_BYTES_PER_REQUEST = 2048
"""Structured request logs plus the per-turn EMF metrics line."""
LOG_BYTES_PER_DOCUMENT = 8192
"""Ingestion function logs and the state machines' execution logs."""
METRICS_PER_MODEL = 7
"""InputTokens, OutputTokens, CacheReadTokens, CacheWriteTokens, CostUSD, ModelLatency, Citations, by model."""
DASHBOARDS = 1
ALARM_METRICS = 23
"""13 alarms (API errors, throttles, one per function, workflow and dead-letter queue, the top user's
hourly cost); alarms over a metric-math sum are billed per metric summed, 23 metrics in all."""
CONTRIBUTOR_INSIGHTS_RULES = 1
"""Model cost per user, over every chat turn's log line."""
WEB_ACL_RULES = 4
"""Three AWS managed rule groups and the per-IP rate limit on the REST API."""
PAGE_REQUESTS = 17
"""Files of the web page, including its runtime config.json."""
PAGE_KB = 200
"""Uncompressed size of those files; CloudFront compression and browser caching send less."""
KMS_KEYS = 6
"""Data, storage, vectors, messaging, workflow and logs."""
KMS_REQUESTS_PER_HOUR = 100
"""DynamoDB, S3 bucket keys and CloudWatch Logs cache data keys, so requests do not follow traffic."""


def cloudwatch(volumes: Volumes, prices: ServicePrices) -> LineItem:
    logs_gb = (volumes.requests * LOG_BYTES_PER_REQUEST + volumes.documents * LOG_BYTES_PER_DOCUMENT) / GIB
    logs = logs_gb * (prices["logs_ingestion_per_gb"] + prices["logs_storage_gb_month"])
    metrics = METRICS_PER_MODEL * prices["custom_metric_month"]
    dashboards = DASHBOARDS * prices["dashboard_month"]
    alarms = ALARM_METRICS * prices["alarm_metric_month"]
    rule = CONTRIBUTOR_INSIGHTS_RULES * prices["contributor_insights_rule_month"]
    rule_events = per_million(volumes.requests, prices["contributor_insights_events_per_million"])
    return LineItem(
        "CloudWatch",
        logs + metrics + dashboards + alarms + rule + rule_events,
        (
            f"logs: {LOG_BYTES_PER_REQUEST:,} bytes per request, {LOG_BYTES_PER_DOCUMENT:,} per document = "
            f"{logs_gb:,.2f} GB at {usd(prices['logs_ingestion_per_gb'])} ingested + "
            f"{usd(prices['logs_storage_gb_month'])} stored per GB (30-day retention) = ${logs:,.2f}",
            f"{METRICS_PER_MODEL} custom metrics (EMF) for one model at {usd(prices['custom_metric_month'])} "
            f"each = ${metrics:,.2f}; a fallback model that answers adds as many",
            f"{DASHBOARDS} dashboard at {usd(prices['dashboard_month'])}; {ALARM_METRICS} alarm metrics at "
            f"{usd(prices['alarm_metric_month'])} = ${dashboards + alarms:,.2f}",
            f"{CONTRIBUTOR_INSIGHTS_RULES} Contributor Insights rule (cost per user) at "
            f"{usd(prices['contributor_insights_rule_month'])} + one matched log line per request at "
            f"{usd(prices['contributor_insights_events_per_million'])} per million = ${rule + rule_events:,.2f}",
        ),
        idle_usd=dashboards + alarms + rule,
    )


def waf(scenario: Scenario, volumes: Volumes, prices: ServicePrices) -> LineItem:
    requests = rest_calls(scenario, volumes)
    fixed = prices["web_acl_month"] + WEB_ACL_RULES * prices["rule_month"]
    return LineItem(
        "WAF",
        fixed + per_million(requests, prices["requests_per_million"]),
        (
            f"one regional web ACL on the REST API with {WEB_ACL_RULES} rules: {usd(prices['web_acl_month'])} "
            f"+ {WEB_ACL_RULES} x {usd(prices['rule_month'])} = ${fixed:,.2f}",
            f"{requests:,.0f} REST requests inspected at {usd(prices['requests_per_million'])} per million "
            "(WAF cannot attach to WebSocket APIs)",
        ),
        idle_usd=fixed,
    )


def cloudfront(scenario: Scenario, prices: ServicePrices) -> LineItem:
    loads = scenario.monthly_active_users * PAGE_LOADS_PER_USER
    gb = loads * PAGE_KB * 1024 / GIB
    requests = loads * PAGE_REQUESTS
    return LineItem(
        "CloudFront",
        gb * prices["data_transfer_out_per_gb"] + requests / 10_000 * prices["https_requests_per_10k"],
        (
            f"{scenario.monthly_active_users:,} active users x {PAGE_LOADS_PER_USER} page loads of "
            f"{PAGE_REQUESTS} files, {PAGE_KB} KB",
            f"{gb:,.2f} GB at {usd(prices['data_transfer_out_per_gb'])} per GB, {requests:,.0f} HTTPS requests "
            f"at {usd(prices['https_requests_per_10k'])} per 10,000",
        ),
    )


def cognito(scenario: Scenario, prices: ServicePrices) -> LineItem:
    return LineItem(
        "Cognito",
        scenario.monthly_active_users * prices["plus_mau"],
        (
            f"{scenario.monthly_active_users:,} monthly active users at {usd(prices['plus_mau'])} "
            "(Plus feature plan, for threat protection)",
        ),
    )


def kms(hours_per_month: float, prices: ServicePrices) -> LineItem:
    requests = KMS_REQUESTS_PER_HOUR * hours_per_month
    cost = KMS_KEYS * prices["key_month"] + requests / 10_000 * prices["requests_per_10k"]
    return LineItem(
        "KMS",
        cost,
        (
            f"{KMS_KEYS} customer-managed keys at {usd(prices['key_month'])} a month (rotation adds $1 per key "
            "in years two and three)",
            f"about {KMS_REQUESTS_PER_HOUR} requests an hour = {requests:,.0f} at "
            f"{usd(prices['requests_per_10k'])} per 10,000",
        ),
        idle_usd=cost,
    )
