resource "aws_cloudwatch_log_group" "function" {
  name = "/aws/lambda/simple-qa"
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=qa"
    team          = "api"
  }
}

resource "aws_lambda_function" "function" {
  function_name    = "simple-qa"
  role             = local.role_arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  filename         = "${path.module}/deployment.zip"
  source_code_hash = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  memory_size      = 256
  timeout          = 30
  layers           = ["arn:aws:lambda:eu-west-1:123456789012:layer:otel:3"]
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=qa"
    team          = "api"
  }

  environment {
    variables = {
      GREETING    = "hello $${not-interpolated}"
      STAGE_COLOR = "blue"
    }
  }

  vpc_config {
    subnet_ids         = ["subnet-1", "subnet-2"]
    security_group_ids = ["sg-1"]
  }

  depends_on = [aws_cloudwatch_log_group.function]
}

resource "aws_lambda_permission" "api" {
  statement_id  = "cws-api-gateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.execution_arn}/qa/*"
}
