# terraform test of the generated API root owned by dev in the two-stages case
# (internal/tfgen/testdata/two-stages), and of variants of it generated next to it: the same API with a
# resource policy (../api-dev-policy), with one more route (../api-dev-routes), with binary media types
# (../api-dev-binary), and generated again unchanged (../api-dev-same). The AWS provider is mocked.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  # Optional attributes the provider computes when unset get fixed values, not random ones: the hashes below
  # then differ only by what the variants change.
  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      id                       = "a1b2c3d4e5"
      execution_arn            = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
      policy                   = ""
      minimum_compression_size = ""
    }
  }
}

run "deploy" {
  assert {
    condition     = aws_api_gateway_rest_api.api.name == "simple" && aws_api_gateway_rest_api.api.endpoint_configuration[0].types == tolist(["EDGE"])
    error_message = "one REST API named after the app, EDGE by default"
  }
  assert {
    condition     = strcontains(aws_api_gateway_rest_api.api.body, "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:simple-$${stageVariables.cws_stage}:$${stageVariables.cws_alias}/invocations")
    error_message = "every integration invokes the stage's alias, in this account and region"
  }
  assert {
    condition     = !strcontains(aws_api_gateway_rest_api.api.body, "{aws_")
    error_message = "no placeholder is left in the body"
  }
  assert {
    condition     = aws_api_gateway_rest_api.api.tags == tomap({ cws = "app=simple:api", team = "api", "Cost Center" = "42" })
    error_message = "the REST API carries the owner's tags"
  }
  assert {
    condition     = output.rest_api_id == "a1b2c3d4e5" && output.region == "eu-west-1" && length(output.deployment_sha256) == 64
    error_message = "the outputs the stage roots read"
  }
}

run "unchanged" {
  command = plan
}

# Everything API Gateway takes only on a new deployment changes deployment_sha256, which the stage roots'
# deployments are triggered by; the same API generated again does not.
run "same_api" {
  module {
    source = "../api-dev-same"
  }
  assert {
    condition     = output.deployment_sha256 == run.deploy.deployment_sha256
    error_message = "the same API must not redeploy the stages"
  }
}

run "policy_changed" {
  module {
    source = "../api-dev-policy"
  }
  assert {
    condition     = output.deployment_sha256 != run.deploy.deployment_sha256
    error_message = "a new resource policy redeploys the stages"
  }
}

run "routes_changed" {
  module {
    source = "../api-dev-routes"
  }
  assert {
    condition     = output.deployment_sha256 != run.deploy.deployment_sha256 && output.deployment_sha256 != run.policy_changed.deployment_sha256
    error_message = "a new route redeploys the stages"
  }
}

run "binary_changed" {
  module {
    source = "../api-dev-binary"
  }
  assert {
    condition     = output.deployment_sha256 != run.deploy.deployment_sha256
    error_message = "new binary media types redeploy the stages"
  }
}
