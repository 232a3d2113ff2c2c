module example.com/shop-api

go 1.25.0

require golang.org/x/text v0.41.0
