from mk import *
exec(open('t1.py').read().split("fr=[")[0].split("from mk import *")[1])
fr=[u(C,G,500,500,r1),u(G,C,500,500,c1),u(C,G,500,500,r2),u(G,C,500,500,s1),u(C,G,500,500,r1),
    u(C,G,500,500,a1),u(G,C,500,500,a2),esp(C,G),esp(G,C)]
pcap('t16.pcap',fr)
