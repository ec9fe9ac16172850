from streamrig.cli import main

main()
