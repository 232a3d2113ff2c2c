from labtui.cli import main

main()
