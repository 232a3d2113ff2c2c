// shop-api greets the shop's customers in their language: GET /?lang=de
// answers in German. It is the sample service of the image-scan-and-sbom lab,
// built twice at install time: release 1.0 against golang.org/x/text v0.3.6
// (src/go.mod), release 1.1 against a fixed x/text (src/go.fixed.mod).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"golang.org/x/text/language"
)

// version is set at build time: -ldflags "-X main.version=1.0".
var version = "dev"

var greetings = map[string]string{
	"en": "Welcome to the shop!",
	"de": "Willkommen im Shop!",
	"fr": "Bienvenue dans la boutique !",
	"es": "¡Bienvenido a la tienda!",
}

// greeting parses the customer's language tag (input from the request) and
// picks the greeting of its base language, English when there is none.
func greeting(lang string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return greetings["en"]
	}
	base, _ := tag.Base()
	if text, ok := greetings[base.String()]; ok {
		return text
	}
	return greetings["en"]
}

func main() {
	listen := flag.String("listen", ":8080", "address to serve on")
	greet := flag.String("greet", "", "print the greeting for this language tag and exit")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()

	switch {
	case *showVersion:
		fmt.Println("shop-api", version)
	case *greet != "":
		fmt.Println(greeting(*greet))
	default:
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, greeting(r.URL.Query().Get("lang")))
		})
		server := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second}
		log.Printf("shop-api %s listening on %s", version, *listen)
		log.Fatal(server.ListenAndServe())
	}
}
