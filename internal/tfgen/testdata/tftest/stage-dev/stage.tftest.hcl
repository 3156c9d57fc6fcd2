# terraform test of the generated stage root of dev, which owns the REST API of the two-stages case
# (internal/tfgen/testdata/two-stages). The AWS provider is mocked: nothing is created, the plans and the
# values are Terraform's own. The API root's state is stood in for by override_data.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/simple-dev" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/simple-dev" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn     = "arn:aws:lambda:eu-west-1:123456789012:function:simple-dev"
      version = "1"
    }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = { invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev" }
  }
}

override_data {
  target = data.terraform_remote_state.api
  values = {
    outputs = {
      rest_api_id       = "a1b2c3d4e5"
      execution_arn     = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
      deployment_sha256 = "api-1"
    }
  }
}

run "deploy" {
  assert {
    condition     = aws_lambda_function.function.function_name == "simple-dev" && aws_lambda_function.function.publish
    error_message = "the function is simple-dev and publishes a version per deploy"
  }
  assert {
    condition     = strcontains(aws_lambda_function.function.description, "artifact sha256 n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=, commit 0123456789abcdef0123456789abcdef01234567")
    error_message = "the version description carries the artifact hash and the commit"
  }
  assert {
    condition     = aws_lambda_alias.stage.name == "live" && aws_lambda_alias.stage.function_version == "1"
    error_message = "the alias live points at the version the deploy published"
  }
  assert {
    condition     = aws_api_gateway_stage.stage.variables == tomap({ cws_stage = "dev", cws_alias = "live" })
    error_message = "the API Gateway stage selects simple-dev:live through its stage variables"
  }
  assert {
    condition     = aws_api_gateway_stage.stage.stage_name == "dev" && aws_api_gateway_stage.stage.rest_api_id == "a1b2c3d4e5"
    error_message = "the API Gateway stage dev is on the API of the API root"
  }
  assert {
    condition     = aws_lambda_permission.api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*" && aws_lambda_permission.api.qualifier == "live"
    error_message = "API Gateway may invoke the alias from this stage only"
  }
  assert {
    condition     = aws_api_gateway_deployment.stage.triggers == tomap({ api = "api-1" })
    error_message = "the deployment is triggered by what the API root snapshots"
  }
  assert {
    condition     = aws_cloudwatch_log_group.function.retention_in_days == 30
    error_message = "log_retention_in_days unset keeps logs 30 days"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.function.policy).Statement[0].Resource == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/simple-dev:*"
    error_message = "the role may write its own log group only"
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.function.policy).Statement) == 1
    error_message = "nothing but its log group: no VPC, no X-Ray, no policy file"
  }
  assert {
    condition     = output.rest_api_url == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev/" && output.function_version == "1"
    error_message = "the outputs cws records"
  }
  assert {
    condition     = aws_lambda_function.function.environment[0].variables["CWS_SECRETS_PATH"] == "/cws/simple/dev/"
    error_message = "the function is told where its stage's secrets are"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.secrets.policy).Statement[0].Resource == [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/cws/simple/dev",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/cws/simple/dev/*",
    ]
    error_message = "the role may read its own stage's SSM parameters only"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.secrets.policy).Statement[1].Condition == {
      StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" }
      StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:123456789012:parameter/cws/simple/dev/*" }
    }
    error_message = "the role may decrypt through SSM only, and only its stage's parameters"
  }
}

# Nothing changed: the plan is empty (the Go test reads it: "No changes.").
run "unchanged" {
  command = plan
}

# What a deployment snapshots changed in the API root: the deployment, and nothing else, changes (the
# provider replaces a deployment whose triggers change).
run "api_changed" {
  command = plan

  override_data {
    target = data.terraform_remote_state.api
    values = {
      outputs = {
        rest_api_id       = "a1b2c3d4e5"
        execution_arn     = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
        deployment_sha256 = "api-2"
      }
    }
  }

  assert {
    condition     = aws_api_gateway_deployment.stage.triggers == tomap({ api = "api-2" })
    error_message = "a new deployment follows the API"
  }
}

# Rollback: the alias serves an earlier published version; the function is not touched.
run "rollback" {
  variables {
    alias_version = "0"
  }

  assert {
    condition     = aws_lambda_alias.stage.function_version == "0" && output.function_version == "0" && output.latest_version == "1"
    error_message = "alias_version moves the alias, and only the alias"
  }
}

# A rollback planned on top: only the alias changes (terraform test checks the plan is the alias's alone).
run "rollback_plan" {
  command = plan

  variables {
    alias_version = "1"
  }

  assert {
    condition     = aws_lambda_alias.stage.function_version == "1"
    error_message = "back to the version the deploy published"
  }
}
