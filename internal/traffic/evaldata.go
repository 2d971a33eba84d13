package traffic

// The facts the simulated benchmarks ask about: textbook knowledge,
// written out here.
var (
	elements = [][2]string{{"hydrogen", "H"}, {"helium", "He"}, {"lithium", "Li"}, {"carbon", "C"}, {"nitrogen", "N"},
		{"oxygen", "O"}, {"fluorine", "F"}, {"neon", "Ne"}, {"sodium", "Na"}, {"magnesium", "Mg"}, {"aluminium", "Al"},
		{"silicon", "Si"}, {"phosphorus", "P"}, {"sulfur", "S"}, {"chlorine", "Cl"}, {"argon", "Ar"}, {"potassium", "K"},
		{"calcium", "Ca"}, {"iron", "Fe"}, {"copper", "Cu"}, {"zinc", "Zn"}, {"silver", "Ag"}, {"tin", "Sn"}, {"gold", "Au"},
		{"mercury", "Hg"}, {"lead", "Pb"}, {"uranium", "U"}, {"nickel", "Ni"}, {"cobalt", "Co"}, {"iodine", "I"}}
	siUnits = [][2]string{{"force", "newton"}, {"energy", "joule"}, {"power", "watt"}, {"pressure", "pascal"},
		{"electric charge", "coulomb"}, {"electric current", "ampere"}, {"electric potential", "volt"},
		{"electrical resistance", "ohm"}, {"frequency", "hertz"}, {"thermodynamic temperature", "kelvin"}, {"mass", "kilogram"},
		{"length", "metre"}, {"time", "second"}, {"amount of substance", "mole"}, {"luminous intensity", "candela"},
		{"magnetic flux", "weber"}, {"capacitance", "farad"}, {"inductance", "henry"}}
	animals = [][2]string{{"dolphin", "mammal"}, {"bat", "mammal"}, {"whale", "mammal"}, {"horse", "mammal"},
		{"penguin", "bird"}, {"ostrich", "bird"}, {"eagle", "bird"}, {"owl", "bird"}, {"shark", "fish"}, {"salmon", "fish"},
		{"tuna", "fish"}, {"frog", "amphibian"}, {"salamander", "amphibian"}, {"toad", "amphibian"}, {"crocodile", "reptile"},
		{"snake", "reptile"}, {"turtle", "reptile"}, {"lizard", "reptile"}, {"octopus", "mollusc"}, {"snail", "mollusc"},
		{"spider", "arachnid"}, {"scorpion", "arachnid"}, {"tick", "arachnid"}, {"ant", "insect"}, {"bee", "insect"},
		{"butterfly", "insect"}, {"beetle", "insect"}, {"crab", "crustacean"}, {"lobster", "crustacean"}, {"shrimp", "crustacean"}}
	planets = []string{"Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"}
	ordinal = []string{"the first", "the second", "the third", "the fourth", "the fifth", "the sixth", "the seventh", "the eighth"}
	events  = []struct {
		what string
		year int
	}{{"the Western Roman Empire fall", 476}, {"Charlemagne become emperor", 800}, {"the Norman conquest of England begin", 1066},
		{"the First Crusade set out", 1096}, {"King John seal Magna Carta", 1215}, {"the Black Death reach Europe", 1347},
		{"Constantinople fall to the Ottomans", 1453}, {"Columbus reach the Americas", 1492}, {"Spain and Portugal sign the Treaty of Tordesillas", 1494},
		{"Luther publish his ninety-five theses", 1517}, {"the Spanish Armada sail against England", 1588},
		{"the Peace of Westphalia end the Thirty Years' War", 1648}, {"the Glorious Revolution take place", 1688},
		{"the American colonies declare independence", 1776}, {"the Bastille fall", 1789}, {"the Battle of Waterloo take place", 1815},
		{"Britain abolish slavery in most of its empire", 1833}, {"revolutions sweep across Europe", 1848},
		{"the American Civil War begin", 1861}, {"the Meiji Restoration begin", 1868}, {"the Suez Canal open", 1869},
		{"Germany unify as an empire", 1871}, {"the Titanic sink", 1912}, {"the First World War begin", 1914},
		{"the Russian Revolution take place", 1917}, {"the Treaty of Versailles get signed", 1919}, {"Wall Street crash", 1929},
		{"the Second World War begin", 1939}, {"the Allies land in Normandy", 1944}, {"the United Nations get founded", 1945},
		{"India become independent", 1947}, {"the People's Republic of China get proclaimed", 1949}, {"the Korean War begin", 1950},
		{"Sputnik reach orbit", 1957}, {"the Cuban missile crisis take place", 1962}, {"humans first land on the Moon", 1969},
		{"the Berlin Wall fall", 1989}, {"the Soviet Union dissolve", 1991}}
	capitals = [][2]string{{"France", "Paris"}, {"Germany", "Berlin"}, {"Italy", "Rome"}, {"Spain", "Madrid"},
		{"Portugal", "Lisbon"}, {"the Netherlands", "Amsterdam"}, {"Belgium", "Brussels"}, {"Austria", "Vienna"},
		{"Switzerland", "Bern"}, {"Poland", "Warsaw"}, {"Czechia", "Prague"}, {"Hungary", "Budapest"}, {"Greece", "Athens"},
		{"Sweden", "Stockholm"}, {"Norway", "Oslo"}, {"Finland", "Helsinki"}, {"Denmark", "Copenhagen"}, {"Ireland", "Dublin"},
		{"Romania", "Bucharest"}, {"Bulgaria", "Sofia"}, {"Turkey", "Ankara"}, {"Egypt", "Cairo"}, {"Kenya", "Nairobi"},
		{"Nigeria", "Abuja"}, {"Ghana", "Accra"}, {"Morocco", "Rabat"}, {"Ethiopia", "Addis Ababa"}, {"Japan", "Tokyo"},
		{"China", "Beijing"}, {"India", "New Delhi"}, {"Pakistan", "Islamabad"}, {"Indonesia", "Jakarta"},
		{"Thailand", "Bangkok"}, {"Vietnam", "Hanoi"}, {"the Philippines", "Manila"}, {"South Korea", "Seoul"},
		{"Australia", "Canberra"}, {"New Zealand", "Wellington"}, {"Canada", "Ottawa"}, {"Mexico", "Mexico City"},
		{"Brazil", "Brasília"}, {"Argentina", "Buenos Aires"}, {"Chile", "Santiago"}, {"Peru", "Lima"}, {"Colombia", "Bogotá"},
		{"Venezuela", "Caracas"}, {"Iran", "Tehran"}, {"Saudi Arabia", "Riyadh"}, {"Cuba", "Havana"}, {"Senegal", "Dakar"}}
)

// Names and things for word problems and passages.
var (
	firstNames = []string{"Maria", "Tom", "Aisha", "Kenji", "Lena", "Omar", "Sofia", "Ravi", "Chloe", "Diego", "Mei", "Jonas",
		"Fatima", "Lucas", "Nia", "Pavel", "Grace", "Yusuf", "Elena", "Sam"}
	things = []string{"apples", "marbles", "stickers", "books", "cookies", "stamps", "pencils", "shells", "cards", "oranges"}
	jobs   = []string{"nurse", "carpenter", "teacher", "baker", "pilot", "librarian", "gardener", "chemist", "journalist", "mechanic"}
	cities = []string{"Lisbon", "Nairobi", "Osaka", "Toronto", "Lyon", "Krakow", "Austin", "Porto Alegre", "Adelaide", "Bergen"}
	habits = []string{"swims in the lake", "walks the dog", "bakes bread", "reads the newspaper", "practises the violin",
		"cycles to the market", "writes letters", "waters the tomatoes", "runs along the river", "visits the museum"}
	weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	months   = []string{"January", "March", "April", "June", "August", "October", "November"}
	episodes = []string{"won a prize for a short story", "broke an arm while skiing", "adopted a grey cat", "moved into a flat by the station",
		"started learning Portuguese", "planted an apple tree", "found an old map in the attic", "ran a half marathon"}
)
