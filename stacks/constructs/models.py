"""Bedrock access: IAM scoped to the configured models, and the guardrail attached to chat calls.

Nothing here grants `bedrock:*` or any model on `*`: each statement names the exact
foundation-model and inference-profile ARNs from the deployment settings.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.config import (
    ALL_COMMERCIAL_REGIONS,
    DeploymentConfig,
    foundation_model_id,
    inference_profile_regions,
)
from stacks.constructs.nag import acknowledge

CHAT_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
_CONTENT_FILTERS = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
_MASKED_PII = ("EMAIL", "PHONE", "NAME", "ADDRESS", "IP_ADDRESS")
_BLOCKED_PII = ("US_SOCIAL_SECURITY_NUMBER", "CREDIT_DEBIT_CARD_NUMBER", "PASSWORD", "AWS_SECRET_KEY")


def model_arns(scope: Construct, model_ids: Iterable[str]) -> list[str]:
    """ARNs IAM must allow to call each model id (see `stacks.config.INFERENCE_PROFILE_REGIONS`).

    A plain model id: the foundation model in this Region. A geographic cross-Region profile:
    the profile in this Region and the foundation model in every Region it routes to. A global
    profile: the profile and the foundation model in this Region, and the Region-less model ARN
    that requests routed anywhere are authorized against.
    """
    stack = Stack.of(scope)
    arns: list[str] = []
    for model_id in model_ids:
        regions = inference_profile_regions(model_id)
        if not regions:
            arns.append(_foundation_model_arn(stack, stack.region, model_id))
            continue
        base_id = foundation_model_id(model_id)
        arns.append(
            f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:inference-profile/{model_id}"
        )
        if regions == ALL_COMMERCIAL_REGIONS:
            arns += [
                _foundation_model_arn(stack, stack.region, base_id),
                _foundation_model_arn(stack, "", base_id),
            ]
        else:
            arns += [_foundation_model_arn(stack, region, base_id) for region in regions]
    return list(dict.fromkeys(arns))


def _foundation_model_arn(stack: Stack, region: str, model_id: str) -> str:
    return f"arn:{stack.partition}:bedrock:{region}::foundation-model/{model_id}"


class ModelAccess(Construct):
    """The guardrail (when enabled) and grants for chat and embedding models."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.guardrail: bedrock.CfnGuardrail | None = None
        self.guardrail_version: bedrock.CfnGuardrailVersion | None = None
        if config.guardrail_enabled:
            self.guardrail = self._guardrail()
            self.guardrail_version = bedrock.CfnGuardrailVersion(
                self,
                "GuardrailVersion",
                guardrail_identifier=self.guardrail.attr_guardrail_id,
                description="Pinned version used by the chat functions",
            )

    def grant_chat(self, principal: lambda_.IFunction) -> None:
        principal.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeConfiguredChatModels",
                actions=list(CHAT_ACTIONS),
                resources=model_arns(self, self._config.chat_model_ids),
            )
        )
        self._grant_rerank(principal)
        if self.guardrail is not None:
            principal.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="ApplyChatGuardrail",
                    actions=["bedrock:ApplyGuardrail"],
                    resources=[self.guardrail.attr_guardrail_arn],
                )
            )

    def grant_embeddings(self, principal: iam.IGrantable) -> None:
        principal.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeEmbeddingModel",
                actions=["bedrock:InvokeModel"],
                resources=model_arns(self, [self._config.embedding_model_id]),
            )
        )

    def _grant_rerank(self, principal: lambda_.IFunction) -> None:
        """Retrieval's second stage: the Rerank API, which invokes the region's reranking model."""
        model = self._config.rerank_model_id
        if model is None or principal.role is None:
            return
        principal.role.add_to_principal_policy(
            iam.PolicyStatement(sid="InvokeRerankModel", actions=["bedrock:InvokeModel"],
                                resources=model_arns(self, [model]))
        )  # fmt: skip
        principal.role.add_to_principal_policy(
            iam.PolicyStatement(sid="Rerank", actions=["bedrock:Rerank"], resources=["*"])
        )
        acknowledge(
            principal.role,
            "AwsSolutions-IAM5[Resource::*]",
            "bedrock:Rerank supports no resource-level permissions; the model it may invoke is "
            "named in InvokeRerankModel.",
        )

    def environment(self) -> dict[str, str]:
        model = self._config.rerank_model_id
        rerank = {"RERANK_MODEL_ID": model} if model else {}
        if self.guardrail is None or self.guardrail_version is None:
            return rerank
        return {
            **rerank,
            "BEDROCK_GUARDRAIL_ID": self.guardrail.attr_guardrail_id,
            "BEDROCK_GUARDRAIL_VERSION": self.guardrail_version.attr_version,
        }

    def _guardrail(self) -> bedrock.CfnGuardrail:
        config = self._config
        filters = [
            bedrock.CfnGuardrail.ContentFilterConfigProperty(
                type=name, input_strength="HIGH", output_strength="HIGH"
            )
            for name in _CONTENT_FILTERS
        ]
        # Prompt attacks only exist in user input; the output strength must be NONE.
        filters.append(
            bedrock.CfnGuardrail.ContentFilterConfigProperty(
                type="PROMPT_ATTACK", input_strength="HIGH", output_strength="NONE"
            )
        )
        pii = [
            bedrock.CfnGuardrail.PiiEntityConfigProperty(type=name, action="ANONYMIZE")
            for name in _MASKED_PII
        ] + [bedrock.CfnGuardrail.PiiEntityConfigProperty(type=name, action="BLOCK") for name in _BLOCKED_PII]
        topics = [
            bedrock.CfnGuardrail.TopicConfigProperty(
                name=topic.name,
                definition=topic.definition,
                examples=list(topic.examples) or None,
                type="DENY",
            )
            for topic in config.denied_topics
        ]
        return bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name=f"{config.app_name}-{config.stage}",
            description="Content, prompt-attack, PII and topic policy for chat answers",
            blocked_input_messaging="Sorry, I can't help with that request.",
            blocked_outputs_messaging="Sorry, I can't provide that answer.",
            content_policy_config=bedrock.CfnGuardrail.ContentPolicyConfigProperty(filters_config=filters),
            sensitive_information_policy_config=bedrock.CfnGuardrail.SensitiveInformationPolicyConfigProperty(
                pii_entities_config=pii
            ),
            topic_policy_config=bedrock.CfnGuardrail.TopicPolicyConfigProperty(topics_config=topics)
            if topics
            else None,
        )
