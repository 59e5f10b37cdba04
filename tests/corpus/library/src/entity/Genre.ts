export enum Genre {
    Novel = "novel",
    Poetry = "poetry",
    Essay = "essay",
    Science = "science",
}
