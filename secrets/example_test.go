package secrets_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/coworks-go/coworks/secrets"
)

// A function without the framework: in Lambda, importing the package already loaded the secrets; Load
// returns at once then, and loads them in a container or a test that sets CWS_SECRETS_PATH.
func ExampleLoad() {
	if err := secrets.Load(context.Background()); err != nil {
		log.Fatal(err)
	}
	dsn := "postgres://shop:" + os.Getenv("DB_PASSWORD") + "@db/shop"
	_ = dsn
}

// The SSM parameter of secret DB_PASSWORD of stage prod of app shop.
func ExamplePath() {
	fmt.Println(secrets.Path("shop", "prod") + "DB_PASSWORD")
	// Output: /cws/shop/prod/DB_PASSWORD
}
