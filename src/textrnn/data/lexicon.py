"""Word lists for the synthetic reviews (:mod:`textrnn.data.synthetic`): sentiment words and neutral filler.

Sentiment lives in the adjectives and verbs only. The filler — places, names, objects, numbers — is
sentiment-free and wide, so that the vocabulary is some thousands of words, as in real reviews, and
a model has to learn which few of them matter.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().split("\n") if line.strip())


POSITIVE = _words("""
    good great excellent wonderful brilliant superb enjoyable moving clever charming gripping delightful
    fantastic terrific marvelous splendid outstanding magnificent stunning beautiful lovely impressive
    remarkable engaging entertaining funny witty heartfelt touching powerful thrilling exciting fresh
    original inventive imaginative smart thoughtful elegant graceful sublime masterful polished memorable
    captivating compelling absorbing riveting rewarding satisfying uplifting inspiring joyful warm sweet
    tender hilarious amusing fun solid strong sharp vivid lively dazzling breathtaking exquisite perfect
    nice pleasant refreshing charismatic affecting beguiling spellbinding stirring poignant assured
""")
NEGATIVE = _words("""
    bad awful terrible dull boring weak clumsy tedious bland poor messy forgettable horrible dreadful
    lousy mediocre lame stupid silly pointless pretentious shallow predictable tiresome uninspired
    lifeless flat stale cliched derivative incoherent confusing muddled sloppy shoddy cheap tacky
    annoying irritating grating unbearable unwatchable painful disappointing underwhelming overlong
    bloated slow sluggish plodding monotonous repetitive hollow empty soulless sterile wooden stiff
    awkward unfunny dumb ridiculous laughable ugly gloomy dire abysmal atrocious miserable insufferable
    vapid trite banal listless limp leaden mindless nasty
""")
# (past tense, base form): "i loved it", "i did not love it"
POSITIVE_VERBS = (
    ("loved", "love"), ("liked", "like"), ("enjoyed", "enjoy"), ("adored", "adore"), ("admired", "admire"),
    ("savored", "savor"), ("cherished", "cherish"), ("relished", "relish"), ("treasured", "treasure"),
    ("appreciated", "appreciate"),
)  # fmt: skip
NEGATIVE_VERBS = (
    ("hated", "hate"), ("disliked", "dislike"), ("loathed", "loathe"), ("despised", "despise"),
    ("detested", "detest"), ("regretted", "regret"), ("resented", "resent"), ("abhorred", "abhor"),
    ("endured", "endure"), ("deplored", "deplore"),
)  # fmt: skip
NEGATIONS = ("not", "never", "hardly")
INTENSIFIERS = _words("very really truly quite extremely incredibly remarkably thoroughly utterly genuinely")

FILMS = _words("""
    film movie picture flick feature thriller comedy drama documentary sequel remake musical western
    romance cartoon adaptation biopic mystery epic satire fantasy horror animation debut
""")
ASPECTS = _phrases("""
    the acting
    the plot
    the script
    the soundtrack
    the dialogue
    the pacing
    the ending
    the cast
    the direction
    the photography
    the story
    the humor
    the effects
    the lead
    the editing
    the score
    the villain
    the hero
    the premise
    the finale
    the opening
    the cinematography
    the screenplay
    the casting
    the costumes
    the set design
    the lighting
    the music
    the writing
    the tone
    the twist
    the climax
    the characters
    the performances
    the production
    the camera work
    the action
    the romance
    the sound design
    the visuals
""")

DAYS = _words("monday tuesday wednesday thursday friday saturday sunday weekday weekend holiday")
MONTHS = _words("january february march april may june july august september october november december")
YEARS = tuple(str(year) for year in range(1950, 2026))
MINUTES = tuple(str(minutes) for minutes in range(75, 191))
RELATIONS = _words("""
    friend sister brother mother father cousin neighbor roommate grandmother grandfather uncle aunt
    colleague boss daughter son wife husband girlfriend boyfriend classmate teacher partner nephew niece
""")
NAMES = _words("""
    anna ben carla david emma frank grace henry iris jack kate leo maria nick olivia paul quinn rosa sam
    tina umar vera walter xena yusuf zoe adam bella carlos diana elena felix gina hugo ines jonas kira
    lucas mia noah oscar petra rafael sofia theo ursula victor wanda yara zack alice boris chloe dmitri
    eva fabio greta hannah ivan julia karim lena marco nadia omar pablo rita stefan tara ulrich valentina
    wei xavier yuki zara amir beatrice cyrus daria elias fatima gustav helga igor jasmine kenji lotte
    milan nora otto priya ravi selma tomas ulla vincent wilma yasmin zeno aaron bianca conrad delia edgar
    flora gideon hazel isaac josefine kasper lydia mateo nina oliver pia ruben sabine tobias uma viktor
    william yannick zelda arthur bruno celine dorothy ernest frida george harriet ingrid jasper keira
    lorenzo magnus nils ophelia percy rupert svenja trudy ulysses vivian winston abel clara dante esther
    gabriel helen ida joel karla luis marta nestor orla philip rebecca simon thea valerie wendell yvonne
""")
PLACES = _phrases("""
    paris
    a small town
    the future
    the desert
    new york
    london
    berlin
    tokyo
    rome
    madrid
    lisbon
    vienna
    prague
    warsaw
    budapest
    athens
    istanbul
    cairo
    nairobi
    lagos
    mumbai
    delhi
    bangkok
    seoul
    shanghai
    beijing
    sydney
    melbourne
    auckland
    toronto
    montreal
    vancouver
    chicago
    boston
    seattle
    denver
    miami
    houston
    dallas
    atlanta
    detroit
    phoenix
    mexico city
    havana
    lima
    bogota
    santiago
    buenos aires
    rio
    oslo
    stockholm
    helsinki
    copenhagen
    dublin
    edinburgh
    glasgow
    manchester
    liverpool
    amsterdam
    brussels
    zurich
    geneva
    munich
    hamburg
    naples
    venice
    florence
    milan
    barcelona
    seville
    marseille
    lyon
    krakow
    riga
    tallinn
    vilnius
    kyiv
    tbilisi
    tehran
    baghdad
    karachi
    dhaka
    hanoi
    manila
    jakarta
    singapore
    osaka
    kyoto
    alaska
    texas
    iceland
    norway
    morocco
    kenya
    peru
    chile
    mongolia
    siberia
    the arctic
    the jungle
    the mountains
    a village
    a suburb
    a prison
    a hospital
    a boarding school
    a space station
    a submarine
    a farm
    a lighthouse
    an island
    a castle
    a hotel
    a train
    a ship
    the countryside
    the seventies
    the eighties
    the nineties
    the twenties
    the middle ages
    ancient rome
    victorian london
""")
FOODS = _words("""
    popcorn nachos candy chocolate pretzels soda lemonade coffee tea pizza hotdogs fries peanuts licorice
    icecream cookies muffins sandwiches chips gummies juice water beer wine tacos noodles sushi donuts
""")
THEATER_STATES = _words("""
    crowded quiet half-empty chilly small dark packed noisy new old huge tiny drafty busy
    renovated modern cramped spacious
""")
OCCUPATIONS = _words("""
    teacher nurse doctor lawyer farmer sailor soldier pilot baker butcher carpenter plumber painter
    writer poet journalist detective policeman firefighter mechanic engineer architect scientist
    chemist biologist astronomer librarian banker accountant clerk cashier waiter chef cook driver
    mailman miner fisherman hunter shepherd priest monk nun judge senator mayor king queen prince
    princess knight spy thief smuggler boxer dancer singer drummer guitarist pianist violinist actor
    photographer surgeon dentist vet pharmacist professor student janitor gardener tailor jeweler
    blacksmith explorer astronaut diver lifeguard ranger guard courier translator programmer hacker
    gambler magician clown sculptor inventor captain sheriff cowboy barber florist locksmith
""")
ANIMALS = _words("""
    dog cat horse cow pig sheep goat chicken duck goose rabbit mouse rat hamster parrot crow owl eagle
    hawk pigeon swan fox wolf bear deer moose elk lion tiger leopard cheetah elephant giraffe zebra
    hippo rhino monkey gorilla camel llama kangaroo koala panda penguin seal walrus whale dolphin shark
    octopus squid crab lobster snail frog toad snake lizard turtle crocodile bee ant spider butterfly
    beetle bat squirrel hedgehog badger otter beaver raccoon donkey mule ostrich flamingo peacock
""")
OBJECTS = _words("""
    car bicycle motorcycle boat umbrella suitcase typewriter camera radio telephone clock watch lamp
    mirror piano guitar violin trumpet drum map compass lantern candle key lock box chest trunk ladder
    rope hammer shovel axe knife sword pistol rifle bow arrow shield helmet hat coat scarf glove boot
    ring necklace bracelet wallet purse backpack notebook diary letter envelope stamp coin painting
    statue vase bottle jar cup mug teapot kettle pan stove fridge sofa chair table desk bed blanket
    pillow curtain carpet window door fence gate bridge tower tent caravan truck van bus tram tractor
    balloon kite puzzle chessboard deck doll robot telescope microscope magnet battery engine
""")
COLORS = _words("""
    red blue green yellow orange purple pink brown black white gray silver golden beige turquoise teal
    navy maroon crimson violet indigo lavender olive ivory
""")
VEHICLES = _words("bus train subway tram taxi car bike ferry")
MILLIONS = tuple(str(millions) for millions in range(1, 401))
GUESTS = tuple(str(guests) for guests in range(20, 1000, 2))
SURNAMES = _words("""
    smith jones taylor brown williams wilson johnson davies robinson wright thompson evans walker white
    roberts green hall wood jackson clarke patel khan lewis james phillips mason mitchell rose davis
    rodriguez cox alexander garcia morgan martin baker adams campbell anderson bell murphy price hughes
    turner morris cooper ward harris king lee clark young allen scott hill moore lopez gonzalez nelson
    carter perez miller ross kelly howard fischer weber wagner becker schulz hoffmann koch richter klein
    wolf neumann schwarz braun zimmermann hartmann lange werner krause meier lehmann schmitt dubois
    lambert fontaine moreau laurent girard bonnet rossi russo ferrari esposito bianchi romano colombo
    ricci marino greco bruno gallo conti costa ferreira santos oliveira pereira silva almeida kowalski
    nowak wisniewski horvat novak ivanov petrov sokolov popescu nagy tanaka suzuki watanabe yamamoto
    nakamura kobayashi sato kim park choi chen wang zhang liu yang huang zhao nguyen tran pham singh
    kumar sharma gupta ahmed hassan ali okafor mensah diallo haddad cohen levi friedman andersen nielsen
    hansen larsen johansson lindqvist berg dahl virtanen korhonen murray byrne walsh quinn doyle
""")
BUILDINGS = _words("""
    museum library church bakery hospital school factory warehouse station airport harbor market
    restaurant diner bar nightclub casino hotel motel prison courthouse bank castle palace mansion cabin
    barn stable garage basement attic kitchen bathroom ballroom gym theater cinema studio office
    laboratory observatory lighthouse tunnel subway mine cave temple mosque synagogue cathedral chapel
    cemetery park zoo circus stadium arena pharmacy bookshop laundromat
""")
EVENTS = _words("""
    wedding funeral robbery birthday party parade storm flood fire earthquake blackout election trial
    concert heist kidnapping reunion graduation divorce accident explosion chase duel race tournament
    auction festival carnival picnic dinner breakfast interview audition rehearsal ceremony expedition
    voyage escape rescue betrayal
""")
