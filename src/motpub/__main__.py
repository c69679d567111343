from motpub.app import main

main()
