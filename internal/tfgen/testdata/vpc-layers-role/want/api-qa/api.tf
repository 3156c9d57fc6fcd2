# The OpenAPI body, with this account's partition, region and id put in the integration URIs.
locals {
  openapi = replace(replace(replace(file("${path.module}/openapi.json"), "{aws_partition}", data.aws_partition.current.partition), "{aws_region}", data.aws_region.current.region), "{aws_account_id}", data.aws_caller_identity.current.account_id)
}

resource "aws_api_gateway_rest_api" "api" {
  name        = "simple"
  description = "simple (cws, owned by stage qa)"
  body        = local.openapi
  policy = jsonencode({
    Statement = [{
      Action    = "execute-api:Invoke"
      Effect    = "Allow"
      Principal = "*"
      Resource  = "execute-api:/*"
    }]
    Version = "2012-10-17"
  })
  tags = {
    cws = "app=simple:api"
  }

  endpoint_configuration {
    types            = ["PRIVATE"]
    vpc_endpoint_ids = ["vpce-0abc"]
  }
}
