"""CDK application: a stateful data stack and a stateless application stack."""
