resource "aws_iam_role" "function" {
  name = "simple-prod"
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
    cws           = "app=simple:stage=prod"
    team          = "api"
  }
}

resource "aws_iam_role_policy_attachment" "basic_execution" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy_attachment" "xray" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

# The function reads its stage's secrets (SSM parameters under /cws/simple/prod/, set with cws secret set) at
# each cold start; CWS_SECRETS_PATH tells it where. Their values never pass through Terraform.
locals {
  secrets_path_arn = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:parameter/cws/simple/prod"
}

resource "aws_iam_role_policy" "secrets" {
  name = "cws-secrets"
  role = aws_iam_role.function.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadTheStageSecrets"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
      Resource = [local.secrets_path_arn, "${local.secrets_path_arn}/*"]
      }, {
      Sid      = "DecryptThemThroughSSM"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:${data.aws_partition.current.partition}:kms:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:key/*"
      Condition = {
        StringEquals = {
          "kms:ViaService" = "ssm.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}"
        }
        StringLike = {
          "kms:EncryptionContext:PARAMETER_ARN" = "${local.secrets_path_arn}/*"
        }
      }
    }]
  })
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/simple-prod"
  retention_in_days = 14
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=prod"
    team          = "api"
  }
}

resource "aws_lambda_function" "function" {
  function_name    = "simple-prod"
  role             = aws_iam_role.function.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  filename         = "${path.module}/deployment.zip"
  source_code_hash = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  memory_size      = 256
  timeout          = 30
  tags = {
    "Cost Center" = "42"
    cws           = "app=simple:stage=prod"
    team          = "api"
  }

  environment {
    variables = {
      CWS_SECRETS_PATH = "/cws/simple/prod/"
      GREETING         = "hello $${not-interpolated}"
      STAGE_COLOR      = "blue"
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy_attachment.basic_execution, aws_iam_role_policy_attachment.xray, aws_iam_role_policy.secrets]
}

resource "aws_lambda_permission" "api" {
  statement_id  = "cws-api-gateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.execution_arn}/prod/*"
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "cws-api-gateway-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.execution_arn}/authorizers/*"
}
