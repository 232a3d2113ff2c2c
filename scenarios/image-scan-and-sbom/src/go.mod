module example.com/shop-api

go 1.23

require golang.org/x/text v0.3.6
