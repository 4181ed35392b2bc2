"""Emulated deploy: `cdk deploy --all` of the synthesized app into a local AWS emulator, then the
user journeys through its API Gateway, Cognito and Step Functions with IAM enforcement on.

Run by `make verify-deploy` (and `make test`): no Docker, no AWS account, no credentials. The
emulator is `ministack` (pinned in `requirements-emulator.txt`, its own venv); functions run on
a second venv holding only what the Lambda Python runtime has (`requirements-runtime.txt`), with a
Powertools layer built from the pinned versions; `aws-cdk-local` (package.json) points the
project's pinned CDK CLI at the emulator.

Modules: `assembly` (the stripped copy of the cloud assembly), `emulator` (the emulator with the
stand-ins below), `deploy` (start, seed, bootstrap, deploy, stop), `journeys` (the user journeys),
`__main__` (the command; its last line is the JSON summary).

What the emulator cannot do, and what is done about it here (and only here):

1. Resource types it cannot create are removed from a COPY of the assembly, never from the app:
   `AWS::Bedrock::Guardrail`/`GuardrailVersion` (a guardrail is created through the emulator's
   Bedrock API instead and its id and version used as literals), `AWS::S3Vectors::*` (no S3
   Vectors service), `AWS::OpenSearchServerless::*` (so the `vectorBackend=s3vectors` variant is
   deployed), `AWS::WAFv2::WebACLAssociation`, `AWS::CloudWatch::InsightRule` (the per-user cost
   rule), CloudWatch alarms on metric math and
   `Custom::CDKBucketDeployment` (its AWS CLI layer is not mounted). `Ref`/`Fn::GetAtt` to them
   become the literal AWS would return and `DependsOn` on them is dropped; they are listed in
   the summary's `skipped_resource_types`.
2. The functions are deployed for x86_64: the emulator runs them on the host interpreter, which
   cannot load the arm64 wheels of an arm64 asset; for the same reason the code asset's vendored
   wheels are re-resolved for the host interpreter's Python version (compiled ones, such as
   selectolax's, load only in the version they were built for).
3. The public SSM parameter naming the AWS-managed Powertools layer does not exist in the
   emulator: a layer built from the pinned Powertools and pydantic is published, and the
   parameter (a name reserved to AWS) is registered as a public parameter.
4. Requests reach the emulator over plain HTTP on loopback; they are marked as TLS
   (`x-forwarded-proto: https`) so the buckets' `aws:SecureTransport` deny statements judge them
   as they would AWS's HTTPS endpoints.
5. IAM fidelity: AWS authorizes Converse as `bedrock:InvokeModel` and ConverseStream as
   `bedrock:InvokeModelWithResponseStream` (the emulator checks the non-existent
   `bedrock:Converse`), and a `us.`-style model id as an inference profile, not a foundation model.
6. Bedrock answers with mock text; Titan text embedding requests are answered in Titan's shape
   with a deterministic bag-of-words vector, so retrieval finds the passage sharing the
   question's words. S3 Vectors' data plane (Put/Get/Query/DeleteVectors) is an in-memory stand-in
   in the emulator process that still asks the emulator's IAM evaluator for each call.
7. The CDK bootstrap roles' asset publishing is refused under IAM enforcement, so enforcement is
   switched on after the deploy, before the first journey.
8. CDK's Node custom resources need the AWS SDK the Lambda Node runtime ships: the pinned
   `@aws-sdk/client-s3` from package.json is put on `NODE_PATH`. A custom resource whose worker
   fails to start leaves CloudFormation waiting, so every CLI call runs under a timeout.

What it cannot show (covered by the template contract tests, or only by a real deployment): KMS
key policies and grants (the emulator does not check them), `DependsOn` races (it creates
resources one at a time), Python 3.14 and arm64 behaviour, the removed resources themselves, the
WebSocket authorizer (it fetches the user pool's keys from the public Cognito endpoint), and
real model behaviour.
"""
