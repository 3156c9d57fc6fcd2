# terraform test of the generated stage root of master, which shares dev's REST API (--rest-api-id dev) in
# the two-stages case (internal/tfgen/testdata/two-stages), with reserved concurrency and a VPC. The AWS
# provider is mocked; dev's API root's state is stood in for by override_data.

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
    defaults = { arn = "arn:aws:iam::123456789012:role/simple-master" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/simple-master" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn     = "arn:aws:lambda:eu-west-1:123456789012:function:simple-master"
      version = "4"
    }
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
    condition     = aws_api_gateway_stage.stage.rest_api_id == "a1b2c3d4e5" && aws_api_gateway_deployment.stage.rest_api_id == "a1b2c3d4e5"
    error_message = "master's stage and deployment are on dev's API"
  }
  assert {
    condition     = aws_api_gateway_stage.stage.stage_name == "master" && aws_api_gateway_stage.stage.variables == tomap({ cws_stage = "master", cws_alias = "live" })
    error_message = "the API Gateway stage master selects simple-master:live"
  }
  assert {
    condition     = aws_lambda_function.function.function_name == "simple-master" && aws_lambda_function.function.reserved_concurrent_executions == 5
    error_message = "master's own function, with its own settings"
  }
  assert {
    condition     = aws_lambda_permission.api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/master/*" && aws_lambda_permission.api.qualifier == "live"
    error_message = "API Gateway may invoke master's alias from the master stage only, not from dev's"
  }
  assert {
    condition     = aws_lambda_permission.authorizer.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/*" && aws_lambda_permission.authorizer.qualifier == "live"
    error_message = "a stage on a shared API lets its authorizers invoke the alias"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s.Sid] == ["OwnLogGroup", "VPCNetworkInterfaces"]
    error_message = "its log group, and the network interfaces of a VPC function"
  }
  assert {
    condition     = aws_api_gateway_deployment.stage.triggers == tomap({ api = "api-1" })
    error_message = "master redeploys when dev's API changes"
  }
  assert {
    condition     = aws_lambda_function.function.environment[0].variables["CWS_SECRETS_PATH"] == "/cws/simple/master/"
    error_message = "the function is told where its stage's secrets are"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.secrets.policy).Statement[0].Resource == [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/cws/simple/master",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/cws/simple/master/*",
    ]
    error_message = "the role may read its own stage's SSM parameters only"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.secrets.policy).Statement[1].Condition == {
      StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" }
      StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:123456789012:parameter/cws/simple/master/*" }
    }
    error_message = "the role may decrypt through SSM only, and only its stage's parameters"
  }
}

run "unchanged" {
  command = plan
}

# Promote: master's root generated with dev's artifact (cws promote --from dev --to master) publishes that
# artifact with master's own settings.
run "promote" {
  module {
    source = "../stage-master-promoted"
  }

  assert {
    condition     = aws_lambda_function.function.source_code_hash == "cHJvbW90ZWQgYXJ0aWZhY3Qgb2YgZGV2IDAxMjM0NTY=" && aws_lambda_function.function.publish
    error_message = "the promoted artifact, published as a new version"
  }
  assert {
    condition     = strcontains(aws_lambda_function.function.description, "stage master: artifact sha256 cHJvbW90ZWQgYXJ0aWZhY3Qgb2YgZGV2IDAxMjM0NTY=, commit fedcba9876543210fedcba9876543210fedcba98")
    error_message = "the version says which artifact and commit it runs"
  }
  assert {
    condition     = aws_lambda_function.function.function_name == "simple-master" && aws_lambda_function.function.reserved_concurrent_executions == 5 && aws_lambda_function.function.vpc_config[0].subnet_ids == toset(["subnet-1"])
    error_message = "master's own function and settings, not dev's"
  }
  assert {
    condition     = aws_lambda_alias.stage.function_version == aws_lambda_function.function.version
    error_message = "the alias serves what the promote published"
  }
}
