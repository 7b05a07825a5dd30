from hflineage.cli.main import main

main()
