# A deployment per stage, replaced when the applied API body changes; then the stage points at it.
resource "aws_api_gateway_deployment" "stage" {
  rest_api_id = local.rest_api_id
  description = "cws simple stage dev"
  triggers = {
    api_body = local.api_body_sha256
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "stage" {
  rest_api_id   = local.rest_api_id
  deployment_id = aws_api_gateway_deployment.stage.id
  stage_name    = "dev"
  variables = {
    cws_stage = "dev"
  }
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=dev"
    team          = "api"
  }
  depends_on = [aws_lambda_permission.api]
}
