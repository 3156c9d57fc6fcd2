resource "aws_iam_role" "function" {
  name = "simple-master"
  assume_role_policy = jsonencode({
    Statement = [{
      Action = "sts:AssumeRole"
      Effect = "Allow"
      Principal = {
        Service = "lambda.amazonaws.com"
      }
    }]
    Version = "2012-10-17"
  })
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=master"
    team          = "api"
  }
}

resource "aws_iam_role_policy_attachment" "basic_execution" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_cloudwatch_log_group" "function" {
  name = "/aws/lambda/simple-master"
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=master"
    team          = "api"
  }
}

resource "aws_lambda_function" "function" {
  function_name                  = "simple-master"
  role                           = aws_iam_role.function.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  filename                       = "${path.module}/deployment.zip"
  source_code_hash               = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  memory_size                    = 256
  timeout                        = 30
  reserved_concurrent_executions = 5
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=master"
    team          = "api"
  }

  environment {
    variables = {
      GREETING    = "hello $${not-interpolated}"
      STAGE_COLOR = "blue"
    }
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy_attachment.basic_execution]
}

resource "aws_lambda_permission" "api" {
  statement_id  = "cws-api-gateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.execution_arn}/master/*"
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "cws-api-gateway-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.execution_arn}/authorizers/*"
}
