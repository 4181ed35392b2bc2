"""Cognito pre sign-up trigger: admits only email addresses at the configured domains.

Cognito runs it before creating any user: self-service sign-up (`PreSignUp_SignUp`), users an
administrator creates (`PreSignUp_AdminCreateUser`) and a federated user's first sign-in
(`PreSignUp_ExternalProvider`, whose email comes from the provider's attribute mapping). Raising
refuses the user; Cognito shows the exception's message to the caller.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreSignUpTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.core.sign_up import EmailDomainPolicy, SignUpRefused

logger = Logger()


@lru_cache(maxsize=1)
def _policy() -> EmailDomainPolicy:
    return EmailDomainPolicy.from_setting(os.environ.get("ALLOWED_EMAIL_DOMAINS", ""))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    trigger = PreSignUpTriggerEvent(event)
    # The address is personal data: only its domain is logged.
    try:
        domain = _policy().admit(trigger.request.user_attributes.get("email"))
    except SignUpRefused as refused:
        logger.info(
            "sign-up refused",
            extra={"trigger_source": trigger.trigger_source, "email_domain": refused.email_domain},
        )
        raise
    logger.info("sign-up admitted", extra={"trigger_source": trigger.trigger_source, "email_domain": domain})
    # Cognito expects the event back; the response's defaults leave confirmation as configured.
    return event
