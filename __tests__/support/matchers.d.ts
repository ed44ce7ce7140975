// Brings cdktf's jest matcher types (toHaveResourceWithProperties, toPlanSuccessfully, ...) into scope.
import "cdktf/lib/testing/adapters/jest";
