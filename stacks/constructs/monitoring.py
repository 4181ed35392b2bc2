"""Operations view: one dashboard, alarms on errors, throttles and stuck work, an optional budget,
and an alarm on one user's model cost per hour.

Alarms and budget notifications go to one SNS topic encrypted with the messaging key; an email
subscription is added when the deployment names an address. Token and cost figures come from the
EMF metrics the chat functions emit per turn (namespace = the app name, metrics `InputTokens`,
`OutputTokens`, `CostUSD`, dimensions `service` and `model`); CloudWatch SEARCH adds them up over
whatever models are in use, so the dashboard needs no change when a model is added.

Cost per user is not a metric dimension (one series per user is unbounded cardinality, billed per
series): a Contributor Insights rule sums the `turn_cost_usd` field of the same EMF log lines by
their `turn_owner` field, and the alarm watches its top contributor over an hour; the rule's
report in the console names the users behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import DeploymentConfig

DEPLOYMENT_TAG = "deployment"
PERIOD = Duration.minutes(5)
# Thresholds per 5-minute period unless named otherwise. A few errors are normal background
# (clients disconnecting, one bad upload); these fire on a pattern, not on a single request.
API_5XX_ERRORS = 5
FUNCTION_ERRORS = 5
MODEL_THROTTLES = 10
# A document that cannot be read ends FAILED by design; several in an hour point at the pipeline.
INGESTION_FAILURES_PER_HOUR = 5
BUDGET_ACTUAL_PERCENT = 80
BUDGET_FORECAST_PERCENT = 100
TURN_OWNER_FIELD = "turn_owner"
TURN_COST_FIELD = "turn_cost_usd"
"""Fields of each chat turn's EMF log line (`lambdas.handlers.observability`)."""


@dataclass(frozen=True, slots=True)
class MonitoredResources:
    """What the application stack hands to monitoring."""

    rest_api: apigw.RestApi
    functions: Mapping[str, lambda_.IFunction]
    state_machines: Mapping[str, sfn.IStateMachine]
    dead_letter_queues: Mapping[str, sqs.IQueue]
    model_ids: Sequence[str]
    turn_log_groups: Sequence[logs.ILogGroup] = ()
    """Where the chat functions write each turn's EMF line: read by the per-user cost rule."""


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        resources: MonitoredResources,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self.topic = self._topic(config, topic_key)
        self.alarms = self._alarms()
        alarm_action = actions.SnsAction(self.topic)
        for alarm in self.alarms:
            alarm.add_alarm_action(alarm_action)
        self.dashboard = self._dashboard(config)
        self.budget = self._budget(config) if config.monthly_budget_usd is not None else None
        self.cost_per_user_rule: cloudwatch.CfnInsightRule | None = None
        if config.user_hourly_cost_alarm_usd is not None and resources.turn_log_groups:
            self.cost_per_user_rule = self._cost_per_user_rule(config)
            top_user = self._top_user_alarm(config.user_hourly_cost_alarm_usd)
            top_user.add_alarm_action(alarm_action)
            self.alarms.append(top_user)

    def _cost_per_user_rule(self, config: DeploymentConfig) -> cloudwatch.CfnInsightRule:
        body = {
            "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
            "LogGroupNames": [group.log_group_name for group in self._resources.turn_log_groups],
            "LogFormat": "JSON",
            "Contribution": {
                "Keys": [f"$.{TURN_OWNER_FIELD}"],
                "ValueOf": f"$.{TURN_COST_FIELD}",
                "Filters": [{"Match": f"$.{TURN_COST_FIELD}", "GreaterThan": 0}],
            },
            "AggregateOn": "Sum",
        }
        return cloudwatch.CfnInsightRule(
            self,
            "CostPerUserRule",
            rule_name=f"{config.deployment_name}-cost-per-user",
            rule_state="ENABLED",
            rule_body=Stack.of(self).to_json_string(body),
        )

    def _top_user_alarm(self, threshold_usd: float) -> cloudwatch.Alarm:
        assert self.cost_per_user_rule is not None
        rule_name = self.cost_per_user_rule.rule_name
        top_user = cloudwatch.MathExpression(
            expression=f"INSIGHT_RULE_METRIC('{rule_name}', 'MaxContributorValue')",
            using_metrics={},
            label="Model cost of the top user in an hour (USD)",
            period=Duration.hours(1),
        )
        return _alarm(
            self,
            "TopUserHourlyCostAlarm",
            top_user,
            threshold_usd,
            f"One user's model cost reached {threshold_usd} USD within an hour: Contributor Insights "
            f"rule {rule_name} names the users; an administrator can lower their budget (/v1/admin).",
        )

    def _topic(self, config: DeploymentConfig, key: kms.IKey) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{config.deployment_name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        account = Stack.of(self).account
        for service in ("cloudwatch.amazonaws.com", "budgets.amazonaws.com"):
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                )
            )
        if config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        return topic

    def _alarms(self) -> list[cloudwatch.Alarm]:
        resources = self._resources
        alarms = [
            _alarm(
                self,
                "Api5xxAlarm",
                resources.rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
                API_5XX_ERRORS,
                "REST API answered with server errors",
            ),
            _alarm(
                self,
                "FunctionThrottlesAlarm",
                _sum(
                    "Lambda throttles",
                    [function.metric_throttles(period=PERIOD) for function in resources.functions.values()],
                ),
                1,
                "A function was throttled: raise its concurrency or the account limit",
            ),
            _alarm(
                self,
                "ModelThrottlesAlarm",
                _sum("Bedrock throttles", self._model_metrics("InvocationThrottles")),
                MODEL_THROTTLES,
                "Bedrock throttled model calls: request a quota increase or spread load over regions",
            ),
        ]
        alarms += [
            _alarm(
                self,
                f"{name}ErrorsAlarm",
                function.metric_errors(period=PERIOD),
                FUNCTION_ERRORS,
                f"The {name} function failed repeatedly",
            )
            for name, function in resources.functions.items()
        ]
        alarms += [
            _alarm(
                self,
                f"{name}FailuresAlarm",
                _sum(
                    "Failed or timed-out executions",
                    [
                        machine.metric_failed(period=Duration.hours(1)),
                        machine.metric_timed_out(period=Duration.hours(1)),
                    ],
                    period=Duration.hours(1),
                ),
                INGESTION_FAILURES_PER_HOUR,
                f"{name} executions keep failing or timing out",
            )
            for name, machine in resources.state_machines.items()
        ]
        alarms += [
            _alarm(
                self,
                f"{name}DeadLettersAlarm",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                1,
                f"Events could not be delivered and wait in the {name} dead-letter queue",
            )
            for name, queue in resources.dead_letter_queues.items()
        ]
        return alarms

    def _model_metrics(self, metric_name: str) -> list[cloudwatch.IMetric]:
        return [
            cloudwatch.Metric(
                namespace="AWS/Bedrock",
                metric_name=metric_name,
                dimensions_map={"ModelId": model_id},
                period=PERIOD,
                statistic="Sum",
            )
            for model_id in self._resources.model_ids
        ]

    def _dashboard(self, config: DeploymentConfig) -> cloudwatch.Dashboard:
        resources = self._resources
        api = resources.rest_api
        functions = resources.functions.values()
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=config.deployment_name, default_interval=Duration.hours(6)
        )
        dashboard.add_widgets(
            _graph("API requests", [api.metric_count(period=PERIOD, statistic="Sum")]),
            _graph(
                "API errors",
                [
                    api.metric_client_error(period=PERIOD, statistic="Sum", label="4xx"),
                    api.metric_server_error(period=PERIOD, statistic="Sum", label="5xx"),
                ],
            ),
            _graph(
                "API latency",
                [
                    api.metric_latency(period=PERIOD, statistic="p50", label="p50"),
                    api.metric_latency(period=PERIOD, statistic="p99", label="p99"),
                ],
            ),
        )
        dashboard.add_widgets(
            _graph("Function errors", [f.metric_errors(period=PERIOD) for f in functions]),
            _graph("Function throttles", [f.metric_throttles(period=PERIOD) for f in functions]),
            _graph("Bedrock throttles", self._model_metrics("InvocationThrottles")),
        )
        dashboard.add_widgets(
            _graph(
                "Tokens",
                [
                    _turn_metric(config, "InputTokens", "Input tokens"),
                    _turn_metric(config, "OutputTokens", "Output tokens"),
                ],
            ),
            _graph("Model cost (USD)", [_turn_metric(config, "CostUSD", "Cost")]),
            _graph(
                "Workflows",
                [
                    metric
                    for name, machine in resources.state_machines.items()
                    for metric in (
                        machine.metric_succeeded(period=PERIOD, label=f"{name} succeeded"),
                        machine.metric_failed(period=PERIOD, label=f"{name} failed"),
                    )
                ]
                + [
                    queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, label=f"{name} dead letters"
                    )
                    for name, queue in resources.dead_letter_queues.items()
                ],
            ),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24)
        )
        return dashboard

    def _budget(self, config: DeploymentConfig) -> budgets.CfnBudget:
        """A monthly cost budget over the resources tagged with this deployment's name.

        The `deployment` tag must be activated as a cost allocation tag in the Billing console
        (once per account) before the budget sees any spend; docs/deploy.md says how.
        """
        assert config.monthly_budget_usd is not None
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(address=self.topic.topic_arn, subscription_type="SNS")
        ]
        if config.alarm_email:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(address=config.alarm_email, subscription_type="EMAIL")
            )
        notifications = [
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=threshold,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=subscribers,
            )
            for kind, threshold in (
                ("ACTUAL", BUDGET_ACTUAL_PERCENT),
                ("FORECASTED", BUDGET_FORECAST_PERCENT),
            )
        ]
        return budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{config.deployment_name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=config.monthly_budget_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{DEPLOYMENT_TAG}${config.deployment_name}"]},
            ),
            notifications_with_subscribers=notifications,
        )


def _alarm(
    scope: Construct, construct_id: str, metric: cloudwatch.IMetric, threshold: float, description: str
) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )


def _sum(
    label: str, metrics: Sequence[cloudwatch.IMetric], *, period: Duration = PERIOD
) -> cloudwatch.MathExpression:
    """One series adding up `metrics`; a missing series counts as zero."""
    names = {f"m{number}": metric for number, metric in enumerate(metrics)}
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({name}, 0)" for name in names),
        using_metrics=names,
        label=label,
        period=period,
    )


def _turn_metric(config: DeploymentConfig, metric_name: str, label: str) -> cloudwatch.MathExpression:
    """Sum of one per-turn EMF metric over every model and service that emitted it."""
    search = f"SEARCH('{{\"{config.app_name}\",model,service}} MetricName=\"{metric_name}\"', 'Sum', 300)"
    return cloudwatch.MathExpression(
        expression=f"SUM({search})", using_metrics={}, label=label, period=PERIOD
    )


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8)
